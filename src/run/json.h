/* repscope - MIT licence, see COPYING.
 *
 * json.h: the little JSON the run directory needs: string literals that
 * are valid UTF-8 JSON whatever the input, numbers that do not depend on
 * the locale, and a walk over the members of an object (the params the
 * session saved, a run.jsonl line). Shared with the CLI (attach).
 * Pure functions: any thread.
 */
#ifndef RS_RUN_JSON_H
#define RS_RUN_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"

/* s as a JSON string literal, quotes included: '"' and '\' escaped,
 * control characters as \n, \t... or \u00XX, valid UTF-8 kept as is, each
 * byte of an invalid sequence as \ufffd. Writes at most cap bytes into
 * dst (no NUL; dst may be NULL with cap 0) and returns the full length,
 * like snprintf. */
size_t rs_json_escape(char *dst, size_t cap, const char *s);
/* Append rs_json_escape(s) to buf of size len at *off (*off < len),
 * NUL-terminated; false (buf[*off] = NUL, *off kept) when it does not
 * fit. */
bool rs_json_append_string(char *buf, size_t len, size_t *off, const char *s);
/* v as a JSON number, %.9g (reads back to the same float) with '.' as the
 * decimal point whatever LC_NUMERIC says, or "null" when v is not finite.
 * len >= 32. Returns the length written. */
int rs_json_number(char *buf, size_t len, double v);
/* Walk the members of a JSON object text: fn(key, value, is_string, ud)
 * for each, in order, where value is the unescaped string for a string
 * member and the JSON text as written otherwise (numbers, true, false,
 * null, nested arrays and objects). Stops at the first non-zero return of
 * fn and returns it; RS_EFORMAT + err on text that is not an object (the
 * nested values are only checked for balanced brackets and strings). */
RS_NODISCARD int rs_json_object_each(const char *json,
                                     int (*fn)(const char *key,
                                               const char *value,
                                               bool is_string, void *ud),
                                     void *ud, struct rs_error *err);

#endif /* RS_RUN_JSON_H */
