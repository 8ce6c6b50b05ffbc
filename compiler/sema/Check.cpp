#include "compiler/sema/Check.h"
namespace recipec::sema {
bool check(Program& program, const CheckOptions&) { return !program.diags().hasErrors(); }
}
