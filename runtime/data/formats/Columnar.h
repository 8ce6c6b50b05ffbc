// Columnar.h — documents from a column of a table file: Parquet (FineWeb, HF datasets' exports)
// and Arrow IPC, file or stream (HF datasets' `save_to_disk` writes streams). Read with Arrow
// C++ as pyarrow's wheel ships it (headers and libarrow/libparquet, in .venv: docs/data.md).
//
// Contract: `tableKindOf(head)` recognises the three from a file's first bytes. `readColumn`
// calls `on_doc` with every non-null string of column `field` ("" means "text"), in row
// order, one Parquet row group or one Arrow record batch in memory at a time; nulls are
// skipped. `probeColumn` says what `check` reports: "" when the file opens and has a string
// column `field`, else the problem naming the file (`help`: the string columns it has).
// Without Arrow in the build every table file is refused by name (DataError).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace recipec::data::formats {

enum class Table { None, Parquet, ArrowFile, ArrowStream };

Table tableKindOf(std::string_view head);
bool columnarBuiltIn();

void readColumn(const std::string& path, Table kind, const std::string& field,
                const std::function<void(std::string_view)>& on_doc);

std::string probeColumn(const std::string& path, Table kind, const std::string& field, std::string& help);

}  // namespace recipec::data::formats
