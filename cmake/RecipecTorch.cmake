# RecipecTorch.cmake — the one place that finds LibTorch, for both build configurations.
#
#   include(RecipecTorch)   defines the target recipec::torch
#
# Where LibTorch comes from, first match wins:
#   1. -DTorch_DIR=... or a CMAKE_PREFIX_PATH holding TorchConfig.cmake (a LibTorch archive,
#      a torch of your own: -DCMAKE_PREFIX_PATH=$(python -c 'import torch;print(torch.utils.cmake_prefix_path)'));
#   2. the torch wheel of the interpreter named by -DRECIPEC_PYTHON=..., else of the project's
#      virtual environment (.venv/, made by scripts/setup.sh), else of the `python3` on PATH.
#
# PyPI's torch for Linux is a CUDA build, and its TorchConfig.cmake asks for a CUDA toolkit
# (nvcc, cudart, cuDNN headers) even when nothing of ours uses CUDA. NVIDIA ships that toolkit on
# PyPI as well, but laid out as pieces under site-packages/nvidia/ (cu13/{bin,include,lib},
# cudnn/, nccl/, ...) with only versioned library names (libcudart.so.13). So when no toolkit is
# given (CUDAToolkit_ROOT, CUDA_HOME, /usr/local/cuda), this file merges those pieces into one
# toolkit-shaped folder of symbolic links in the build tree (_cuda_toolkit/) and hands that to
# find_package(Torch). The same is done for the CPU and the CUDA configuration.
#
# The two configurations (RECIPEC_CUDA):
#   OFF (default): recipec::torch is torch_cpu + c10. No CUDA library of torch's is linked; the
#                  binary runs on any machine and never initialises CUDA.
#   ON:            recipec::torch is all of TORCH_LIBRARIES (torch_cuda, c10_cuda, NCCL) and the
#                  code compiles its CUDA branches (RECIPEC_WITH_CUDA=1). This is what a GPU
#                  machine runs; CI compiles and links it on the CPU machine (tests/build/).
include_guard(GLOBAL)

option(RECIPEC_CUDA "Build the runtime with CUDA (links torch_cuda; needs a CUDA LibTorch)" OFF)
set(RECIPEC_PYTHON "" CACHE FILEPATH "Python interpreter whose torch wheel to build against (default: .venv/bin/python)")

# --- 1. where TorchConfig.cmake is --------------------------------------------------------------
if(NOT Torch_DIR OR NOT EXISTS "${Torch_DIR}/TorchConfig.cmake")
  set(_recipec_user_torch "")
  foreach(_p ${CMAKE_PREFIX_PATH} $ENV{CMAKE_PREFIX_PATH})
    foreach(_s "" "/Torch" "/share/cmake/Torch")
      if(NOT _recipec_user_torch AND EXISTS "${_p}${_s}/TorchConfig.cmake")
        set(_recipec_user_torch "${_p}${_s}")
      endif()
    endforeach()
  endforeach()
  if(_recipec_user_torch)
    set(Torch_DIR "${_recipec_user_torch}")
  else()
    if(NOT RECIPEC_PYTHON AND EXISTS "${CMAKE_SOURCE_DIR}/.venv/bin/python")
      set(RECIPEC_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python")
    endif()
    if(NOT RECIPEC_PYTHON)  # a machine with its own torch (the GPU machine)
      find_program(RECIPEC_PYTHON_ON_PATH python3)
      set(RECIPEC_PYTHON "${RECIPEC_PYTHON_ON_PATH}")
    endif()
    if(NOT RECIPEC_PYTHON)
      message(FATAL_ERROR "recipec: no LibTorch found. Run scripts/setup.sh (it installs the pinned torch "
                          "wheel into .venv/), or point the build at yours: -DRECIPEC_PYTHON=/path/to/python "
                          "with torch installed, or -DCMAKE_PREFIX_PATH=/path/to/libtorch")
    endif()
    # The package's folder without importing torch (an import loads every CUDA library: seconds).
    execute_process(
      COMMAND "${RECIPEC_PYTHON}" -c "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')"
      OUTPUT_VARIABLE _recipec_torch_pkg OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0 OR NOT EXISTS "${_recipec_torch_pkg}/share/cmake/Torch/TorchConfig.cmake")
      message(FATAL_ERROR "recipec: ${RECIPEC_PYTHON} has no torch with a LibTorch (share/cmake/Torch); "
                          "run scripts/setup.sh or pip install the torch of scripts/requirements.txt")
    endif()
    set(Torch_DIR "${_recipec_torch_pkg}/share/cmake/Torch")
  endif()
endif()
get_filename_component(_recipec_torch_prefix "${Torch_DIR}/../../.." ABSOLUTE)
set(Torch_DIR "${Torch_DIR}" CACHE PATH "Folder of TorchConfig.cmake" FORCE)

# --- 2. a CUDA LibTorch wants a toolkit ----------------------------------------------------------
set(RECIPEC_TORCH_HAS_CUDA OFF)
if(EXISTS "${_recipec_torch_prefix}/lib/libtorch_cuda.so")
  set(RECIPEC_TORCH_HAS_CUDA ON)
endif()
set(RECIPEC_TORCH_RPATH "${_recipec_torch_prefix}/lib")

if(RECIPEC_TORCH_HAS_CUDA)
  # The wheel's NVIDIA pieces live beside torch in site-packages/nvidia/.
  get_filename_component(_nv "${_recipec_torch_prefix}/../nvidia" ABSOLUTE)
  file(GLOB _nv_libdirs LIST_DIRECTORIES true "${_nv}/*/lib")
  list(APPEND RECIPEC_TORCH_RPATH ${_nv_libdirs})

  set(_given_toolkit "")
  foreach(_c "${CUDAToolkit_ROOT}" "$ENV{CUDAToolkit_ROOT}" "$ENV{CUDA_HOME}" "$ENV{CUDA_PATH}" "/usr/local/cuda")
    if(_c AND EXISTS "${_c}/bin/nvcc")
      set(_given_toolkit "${_c}")
      break()
    endif()
  endforeach()
  file(GLOB _nv_cuda "${_nv}/cu[0-9]*")
  if(_given_toolkit)
    set(_toolkit "${_given_toolkit}")
  elseif(_nv_cuda AND EXISTS "${_nv_cuda}/bin/nvcc")
    set(_toolkit "${CMAKE_BINARY_DIR}/_cuda_toolkit")
    file(MAKE_DIRECTORY "${_toolkit}/include" "${_toolkit}/lib")
    foreach(_d bin nvvm)
      if(NOT EXISTS "${_toolkit}/${_d}")
        file(CREATE_LINK "${_nv_cuda}/${_d}" "${_toolkit}/${_d}" SYMBOLIC)
      endif()
    endforeach()
    # Headers and libraries of every piece (cudart, cuBLAS, cuDNN, NCCL, cuSPARSELt, ...).
    file(GLOB _pieces LIST_DIRECTORIES true "${_nv}/*")
    foreach(_p ${_pieces})
      file(GLOB _hs LIST_DIRECTORIES true "${_p}/include/*")
      foreach(_h ${_hs})
        get_filename_component(_n "${_h}" NAME)
        if(NOT EXISTS "${_toolkit}/include/${_n}")
          file(CREATE_LINK "${_h}" "${_toolkit}/include/${_n}" SYMBOLIC)
        endif()
      endforeach()
      file(GLOB _ls "${_p}/lib/*.so*" "${_p}/lib/*.a")
      foreach(_l ${_ls})
        get_filename_component(_n "${_l}" NAME)
        string(REGEX REPLACE "\\.so\\..*$" ".so" _plain "${_n}")  # libcudart.so.13 -> libcudart.so
        foreach(_m "${_n}" "${_plain}")
          if(NOT EXISTS "${_toolkit}/lib/${_m}")
            file(CREATE_LINK "${_l}" "${_toolkit}/lib/${_m}" SYMBOLIC)
          endif()
        endforeach()
      endforeach()
    endforeach()
    message(STATUS "recipec: CUDA toolkit from the wheels in ${_nv} (merged in ${_toolkit})")
  else()
    execute_process(COMMAND "${RECIPEC_PYTHON}" -c "import torch;print(torch.version.cuda)"
                    OUTPUT_VARIABLE _cu OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    message(FATAL_ERROR "recipec: the LibTorch in ${_recipec_torch_prefix} is a CUDA build (CUDA ${_cu}), and its "
                        "CMake files need a CUDA toolkit even for a CPU build. Install the matching nvcc into the "
                        "same environment (scripts/setup.sh does: pip install 'cuda-toolkit[nvcc]==<the CUDA "
                        "version of torch>') or pass -DCUDAToolkit_ROOT=/path/to/cuda")
  endif()
  set(CUDAToolkit_ROOT "${_toolkit}")
  set(CUDA_TOOLKIT_ROOT_DIR "${_toolkit}" CACHE PATH "" FORCE)
  set(CUDNN_ROOT "${_toolkit}" CACHE PATH "" FORCE)
  set(CMAKE_CUDA_COMPILER "${_toolkit}/bin/nvcc" CACHE FILEPATH "" FORCE)
  # No GPU here: compile device code for the architectures the GPU machines have (Hopper, Ampere).
  if(NOT TORCH_CUDA_ARCH_LIST)
    set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
  endif()
endif()

# --- 3. find_package(Torch) ---------------------------------------------------------------------
find_package(Torch REQUIRED CONFIG)
if(Torch_VERSION VERSION_LESS 2.4)
  message(FATAL_ERROR "recipec: LibTorch ${Torch_VERSION} at ${Torch_DIR}; recipec needs torch 2.4 or later")
endif()
message(STATUS "recipec: LibTorch ${Torch_VERSION} from ${_recipec_torch_prefix}"
               " (CUDA in the library: ${RECIPEC_TORCH_HAS_CUDA}; CUDA build of recipec: ${RECIPEC_CUDA})")

add_library(recipec_torch INTERFACE)
add_library(recipec::torch ALIAS recipec_torch)
target_compile_features(recipec_torch INTERFACE cxx_std_20)  # LibTorch 2.x's headers need C++20
if(RECIPEC_CUDA)
  if(NOT RECIPEC_TORCH_HAS_CUDA)
    message(FATAL_ERROR "recipec: -DRECIPEC_CUDA=ON needs a CUDA LibTorch; ${_recipec_torch_prefix} has none")
  endif()
  target_link_libraries(recipec_torch INTERFACE ${TORCH_LIBRARIES})
  target_compile_definitions(recipec_torch INTERFACE RECIPEC_WITH_CUDA=1)
else()
  # torch_cpu_library links libtorch_cpu with --no-as-needed (its operator registrations).
  target_link_libraries(recipec_torch INTERFACE torch_cpu_library c10)
  target_include_directories(recipec_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  if(TORCH_CXX_FLAGS)
    separate_arguments(_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
    target_compile_options(recipec_torch INTERFACE ${_flags})
  endif()
endif()
# The wheel's libraries carry no RUNPATH to each other's NVIDIA pieces (Python preloads them):
# the binaries get it.
list(APPEND CMAKE_BUILD_RPATH ${RECIPEC_TORCH_RPATH})
list(APPEND CMAKE_INSTALL_RPATH ${RECIPEC_TORCH_RPATH})

# --- 4. precompiled LibTorch headers -------------------------------------------------------------
# The LibTorch headers the runtime's translation units include (the module API, AdamW, ATen)
# take ~10 s to parse in each of ~65 of them. recipec_models precompiles them once, and every
# other target that links LibTorch (recipec_train, recipec_eval, recipec-runtime, the runtime
# tests) reuses that one PCH. Not all of <torch/torch.h>: its PCH (690 MB) takes as long to
# load as the headers take to parse; this one (~500 MB) halves a typical file (Policy.cpp:
# 15.1 s without, 7.9 s with, 14.0 s with torch.h's).
function(recipec_torch_pch target)
  if(NOT RECIPEC_PCH)
    return()
  endif()
  if(target STREQUAL "recipec_models")
    target_precompile_headers(recipec_models PRIVATE <torch/nn/module.h> <torch/optim/adamw.h> <ATen/ATen.h>)
  else()
    target_precompile_headers(${target} REUSE_FROM recipec_models)
  endif()
endfunction()
