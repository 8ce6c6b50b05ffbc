# CopyChartLib.cmake — copies uPlot.iife.min.js and uPlot.min.css from SRC to DST when SRC
# has them (scripts/fetch_web.sh); otherwise says so and leaves DST as it is: `recipec
# report` then names what is missing. Run as `cmake -DSRC=... -DDST=... -P CopyChartLib.cmake`.
foreach(_f uPlot.iife.min.js uPlot.min.css)
  if(NOT EXISTS ${SRC}/${_f})
    message(STATUS "recipec report: ${SRC}/${_f} not found (run scripts/fetch_web.sh); `recipec report` will not work")
    return()
  endif()
endforeach()
file(MAKE_DIRECTORY ${DST})
foreach(_f uPlot.iife.min.js uPlot.min.css LICENSE)
  if(EXISTS ${SRC}/${_f})
    file(COPY_FILE ${SRC}/${_f} ${DST}/${_f} ONLY_IF_DIFFERENT)
  elseif(EXISTS ${SRC}/../${_f})
    file(COPY_FILE ${SRC}/../${_f} ${DST}/${_f} ONLY_IF_DIFFERENT)
  endif()
endforeach()
