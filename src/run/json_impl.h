/* repscope - MIT licence, see COPYING.
 *
 * json_impl.h: what the reader (json.c) and the writer (json_write.c)
 * share: the tree node and the switch to the "C" numeric locale.
 * Any thread.
 */
#ifndef RS_RUN_JSON_IMPL_H
#define RS_RUN_JSON_IMPL_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#include "run/json.h"

struct rs_json {
    enum rs_json_type type;
    bool b;      /* RS_JSON_BOOL */
    bool is_int; /* RS_JSON_NUMBER written as an integer that fits */
    long long i;
    double num;
    char *str; /* RS_JSON_STRING, unescaped, NUL-terminated */
    size_t slen;
    int n;                 /* RS_JSON_ARRAY, RS_JSON_OBJECT */
    struct rs_json *items; /* (n) */
    char **keys;           /* (n), RS_JSON_OBJECT */
    size_t *klen;          /* (n) */
    const char *src;       /* the text as written (in the root's copy) */
    size_t srclen;
    char *own; /* the root: its copy of the whole text */
};

/* Switch this thread to the "C" numeric locale (uselocale); returns what
 * to give rs_json_locale_end, (locale_t)0 when nothing was switched (the
 * locale object could not be made: callers then also fix the decimal
 * point by hand, rs_json_fix_point). */
locale_t rs_json_locale_begin(void);
void rs_json_locale_end(locale_t old);
/* Whatever a locale put for the decimal point in t[0..n) becomes '.'. */
void rs_json_fix_point(char *t, int n);

#endif /* RS_RUN_JSON_IMPL_H */
