// Columnar.cpp — see Columnar.h.
#include "runtime/data/formats/Columnar.h"

#include <cstring>

#include "runtime/data/DataError.h"

#ifdef RECIPEC_HAVE_ARROW
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <parquet/arrow/reader.h>
#endif

namespace recipec::data::formats {

Table tableKindOf(std::string_view head) {
  if (head.substr(0, 4) == "PAR1") return Table::Parquet;
  if (head.substr(0, 6) == "ARROW1") return Table::ArrowFile;
  if (head.size() >= 4 && std::memcmp(head.data(), "\xff\xff\xff\xff", 4) == 0) return Table::ArrowStream;
  return Table::None;
}

#ifdef RECIPEC_HAVE_ARROW
bool columnarBuiltIn() { return true; }

namespace {

std::string column(const std::string& field) { return field.empty() ? "text" : field; }

template <class T>
T orThrow(arrow::Result<T> r, const std::string& path) {
  if (!r.ok()) throw DataError("`" + path + "` cannot be read as a table: " + r.status().ToString());
  return std::move(r).ValueOrDie();
}

void check(const arrow::Status& s, const std::string& path) {
  if (!s.ok()) throw DataError("`" + path + "` cannot be read as a table: " + s.ToString());
}

std::string stringColumns(const arrow::Schema& schema) {
  std::string out;
  for (const auto& f : schema.fields())
    if (f->type()->id() == arrow::Type::STRING || f->type()->id() == arrow::Type::LARGE_STRING)
      out += (out.empty() ? "`" : ", `") + f->name() + "`";
  return out;
}

// The schema's index of `name` as a string column, or a DataError naming what is there.
int stringField(const arrow::Schema& schema, const std::string& path, const std::string& name) {
  const int i = schema.GetFieldIndex(name);
  if (i < 0) {
    const std::string have = stringColumns(schema);
    throw DataError("`" + path + "` has no column `" + name + "`" +
                    (have.empty() ? std::string(" (and no string column)") : "; its string columns: " + have));
  }
  const auto id = schema.field(i)->type()->id();
  if (id != arrow::Type::STRING && id != arrow::Type::LARGE_STRING)
    throw DataError("`" + path + "`: column `" + name + "` is " + schema.field(i)->type()->ToString() + ", not a string");
  return i;
}

void eachString(const arrow::Array& a, const std::function<void(std::string_view)>& on_doc) {
  if (a.type_id() == arrow::Type::LARGE_STRING) {
    const auto& s = static_cast<const arrow::LargeStringArray&>(a);
    for (int64_t i = 0; i < s.length(); ++i)
      if (!s.IsNull(i)) on_doc(s.GetView(i));
  } else {
    const auto& s = static_cast<const arrow::StringArray&>(a);
    for (int64_t i = 0; i < s.length(); ++i)
      if (!s.IsNull(i)) on_doc(s.GetView(i));
  }
}

std::shared_ptr<arrow::Schema> schemaOf(const std::string& path, Table kind) {
  auto in = orThrow(arrow::io::ReadableFile::Open(path), path);
  if (kind == Table::Parquet) {
    auto reader = orThrow(parquet::arrow::OpenFile(in, arrow::default_memory_pool()), path);
    std::shared_ptr<arrow::Schema> schema;
    check(reader->GetSchema(&schema), path);
    return schema;
  }
  if (kind == Table::ArrowFile) return orThrow(arrow::ipc::RecordBatchFileReader::Open(in), path)->schema();
  return orThrow(arrow::ipc::RecordBatchStreamReader::Open(in), path)->schema();
}

}  // namespace

void readColumn(const std::string& path, Table kind, const std::string& field,
                const std::function<void(std::string_view)>& on_doc) {
  const std::string name = column(field);
  auto in = orThrow(arrow::io::ReadableFile::Open(path), path);
  if (kind == Table::Parquet) {
    auto reader = orThrow(parquet::arrow::OpenFile(in, arrow::default_memory_pool()), path);
    std::shared_ptr<arrow::Schema> schema;
    check(reader->GetSchema(&schema), path);
    const int col = stringField(*schema, path, name);
    for (int g = 0; g < reader->num_row_groups(); ++g) {  // one row group in memory at a time
      const auto t = orThrow(reader->ReadRowGroup(g, std::vector<int>{col}), path);
      for (const auto& chunk : t->column(0)->chunks()) eachString(*chunk, on_doc);
    }
  } else if (kind == Table::ArrowFile) {
    auto reader = orThrow(arrow::ipc::RecordBatchFileReader::Open(in), path);
    const int col = stringField(*reader->schema(), path, name);
    for (int b = 0; b < reader->num_record_batches(); ++b)
      eachString(*orThrow(reader->ReadRecordBatch(b), path)->column(col), on_doc);
  } else {
    auto reader = orThrow(arrow::ipc::RecordBatchStreamReader::Open(in), path);
    const int col = stringField(*reader->schema(), path, name);
    for (std::shared_ptr<arrow::RecordBatch> batch; (batch = orThrow(reader->Next(), path));)
      eachString(*batch->column(col), on_doc);
  }
}

std::string probeColumn(const std::string& path, Table kind, const std::string& field, std::string& help) {
  try {
    stringField(*schemaOf(path, kind), path, column(field));
  } catch (const DataError& e) {
    const std::string what = e.what();
    const size_t semi = what.find("; its string columns: ");
    if (semi == std::string::npos) {
      help = "a table file is read column by column: name the text column with `field = \"...\"`";
      return what;
    }
    help = "name one with `field = \"...\"`: its string columns are " + what.substr(semi + 22);
    return what.substr(0, semi);
  }
  return "";
}

#else
bool columnarBuiltIn() { return false; }

void readColumn(const std::string& path, Table, const std::string&, const std::function<void(std::string_view)>&) {
  throw DataError("`" + path + "` is a Parquet or Arrow file, and this build of recipec has no Arrow C++ "
                  "(scripts/setup.sh installs pyarrow into .venv, whose Arrow C++ the build uses)");
}

std::string probeColumn(const std::string& path, Table, const std::string&, std::string& help) {
  help = "rebuild after scripts/setup.sh (pyarrow's Arrow C++ in .venv), or export the column to JSON lines";
  return "`" + path + "` is a Parquet or Arrow file, and this build of recipec reads neither";
}
#endif

}  // namespace recipec::data::formats
