/* repscope - MIT licence, see COPYING.
 *
 * json.h: the project's one JSON codec (RFC 8259). The run directory, the
 * view specs the UI reads, the params the session records and the Lua
 * binding (repscope.json) all go through it.
 *
 * Reading: rs_json_parse builds a tree of values from a text, checking
 * the whole grammar; a malformed text is RS_EFORMAT with a message that
 * names the byte offset, what was expected and what was found there
 * ("JSON offset 12: a value expected, found ']}'"). Containers nest at
 * most RS_JSON_DEPTH_MAX deep. Strings are unescaped to UTF-8 (\uXXXX
 * escapes and surrogate pairs included; an unpaired surrogate is an
 * error); bytes that are not valid UTF-8 are kept as they are. Numbers
 * follow the JSON grammar (no NaN, Infinity, hex or leading '+'), are
 * read as doubles whatever LC_NUMERIC says, and one beyond the double
 * range reads as +-inf.
 *
 * Writing: a growable buffer (struct rs_json_buf) takes strings (always
 * written as valid UTF-8 JSON), numbers (the shortest text that reads
 * back to the same double, never depending on the locale; NaN and
 * +-inf as null) and raw text; rs_json_encode writes a parsed tree back.
 *
 * Also the small helpers the run log uses (rs_json_escape, rs_json_number
 * at float precision) and a walk over the members of an object.
 * Pure functions (a tree or buffer belongs to its caller): any thread.
 */
#ifndef RS_RUN_JSON_H
#define RS_RUN_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base.h"

#define RS_JSON_DEPTH_MAX 64 /* arrays and objects nested at most */

/* ---- reading ------------------------------------------------------------- */

enum rs_json_type {
    RS_JSON_NULL,
    RS_JSON_BOOL,
    RS_JSON_NUMBER,
    RS_JSON_STRING,
    RS_JSON_ARRAY,
    RS_JSON_OBJECT
};

typedef struct rs_json rs_json;

/* Parse text[0..len) (one value with optional white space around it).
 * Returns a new tree (free with rs_json_free), or NULL + err (RS_EFORMAT,
 * naming the offset) when it is not JSON. A NUL byte inside len is an
 * error: pass strlen(text) for a C string. */
rs_json *rs_json_parse(const char *text, size_t len, struct rs_error *err);
void rs_json_free(rs_json *v);

/* The accessors take any value (or NULL, which reads as null) and never
 * fail: asking an array for a key gives NULL. Pointers returned are
 * borrowed from the tree and valid until rs_json_free. */
enum rs_json_type rs_json_typeof(const rs_json *v);
/* Items of an array or members of an object; 0 for anything else. */
int rs_json_len(const rs_json *v);
/* Item i of an array, value of member i of an object; NULL out of range. */
const rs_json *rs_json_at(const rs_json *v, int i);
/* Name of member i of an object (NUL-terminated; *len, if not NULL, gets
 * its length, which a \u0000 escape makes longer than strlen); NULL if
 * v is no object or i is out of range. */
const char *rs_json_key(const rs_json *v, int i, size_t *len);
/* The value of member key of an object (the last one of that name);
 * NULL when absent or v is no object. */
const rs_json *rs_json_get(const rs_json *v, const char *key);
/* A string's unescaped bytes (NUL-terminated; *len as for rs_json_key),
 * or NULL when v is no string. */
const char *rs_json_str(const rs_json *v, size_t *len);
/* A number's value, or def when v is no number. */
double rs_json_num(const rs_json *v, double def);
/* True when v is a number written as an integer (no fraction or
 * exponent) that fits in a long long; its value into *out. */
bool rs_json_integer(const rs_json *v, long long *out);
/* A boolean's value, or def when v is no boolean. */
bool rs_json_bool(const rs_json *v, bool def);
/* The text v was parsed from, as written (not NUL-terminated: *len
 * bytes). */
const char *rs_json_text(const rs_json *v, size_t *len);

/* Walk the members of an object text: fn(key, value, is_string, ud) for
 * each, in order, where value is the unescaped string for a string member
 * and the JSON text as written otherwise (numbers, true, false, null,
 * nested arrays and objects). The whole text is checked first (as
 * rs_json_parse); RS_EFORMAT + err when it is not JSON or not an object.
 * Stops at the first non-zero return of fn and returns it. */
RS_NODISCARD int rs_json_object_each(const char *json,
                                     int (*fn)(const char *key,
                                               const char *value,
                                               bool is_string, void *ud),
                                     void *ud, struct rs_error *err);

/* ---- writing ------------------------------------------------------------- */

/* A growable text: zero-initialise it ({0}); p is NUL-terminated once
 * anything was written. Owned by the caller: rs_json_buf_fini frees it,
 * rs_json_buf_take hands the text over. */
struct rs_json_buf {
    char *p;
    size_t n, cap;
};

void rs_json_buf_fini(struct rs_json_buf *b);
/* The text written so far as a new string the caller frees ("" when
 * nothing was); the buffer is empty again. */
char *rs_json_buf_take(struct rs_json_buf *b);
/* n bytes as they are (JSON punctuation, a text already JSON). */
void rs_json_buf_raw(struct rs_json_buf *b, const char *s, size_t n);
/* s[0..n) as a JSON string literal (rs_json_escape's rules; a NUL byte
 * becomes \u0000). */
void rs_json_buf_string(struct rs_json_buf *b, const char *s, size_t n);
/* v in the fewest of 15, 16 or 17 significant digits that read back to
 * exactly v, with ".0" added to an integral value ("2.0", "1e+20"), or
 * null when v is not finite. '.' whatever LC_NUMERIC says. */
void rs_json_buf_double(struct rs_json_buf *b, double v);
void rs_json_buf_integer(struct rs_json_buf *b, long long v);
/* The compact text of a parsed tree: members in their order, integers as
 * integers, other numbers as rs_json_buf_double. A new string. */
char *rs_json_encode(const rs_json *v);

/* ---- small helpers (the run log) ----------------------------------------- */

/* s as a JSON string literal, quotes included: '"' and '\' escaped,
 * control characters as \n, \t... or \u00XX, valid UTF-8 kept as is, each
 * byte of an invalid sequence as \ufffd. Writes at most cap bytes into
 * dst (no NUL; dst may be NULL with cap 0) and returns the full length,
 * like snprintf. */
size_t rs_json_escape(char *dst, size_t cap, const char *s);
/* Whether s[0..n) is valid UTF-8 (what rs_json_escape keeps as is). */
bool rs_json_utf8_ok(const char *s, size_t n);
/* Append rs_json_escape(s) to buf of size len at *off (*off < len),
 * NUL-terminated; false (buf[*off] = NUL, *off kept) when it does not
 * fit. */
bool rs_json_append_string(char *buf, size_t len, size_t *off, const char *s);
/* v as a JSON number, %.9g (reads back to the same float) with '.' as the
 * decimal point whatever LC_NUMERIC says, or "null" when v is not finite.
 * len >= 32. Returns the length written. */
int rs_json_number(char *buf, size_t len, double v);

#endif /* RS_RUN_JSON_H */
