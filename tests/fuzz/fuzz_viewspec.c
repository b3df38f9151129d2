/* repscope - MIT licence, see COPYING.
 *
 * fuzz_viewspec.c: the view-spec reader (ui/viewspec.h). The first input
 * byte picks a mode, the rest is text (cut at its first NUL, as the bus
 * hands it over):
 *   bit 0  clear: rs_viewspec_parse of the text; every parsed rank view
 *          is then given its own layers again (rs_viewspec_set_layers)
 *          and every name is relayered, as the panels do on a key;
 *   bit 0  set: the text's lines are bus names, the even ones series and
 *          the odd ones matrices, for rs_viewspec_default (a log from
 *          before view specs were recorded).
 * Every string in a spec must be NUL-terminated within its field.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/bus.h"
#include "ui/viewspec.h"

#define TERMINATED(field) CHECK(memchr(field, '\0', sizeof field) != NULL)
#define NAMES_MAX 64

static void
check_spec(struct rs_viewspec *v)
{
    TERMINATED(v->title);
    TERMINATED(v->matrix);
    TERMINATED(v->layer);
    TERMINATED(v->metric);
    TERMINATED(v->truth);
    TERMINATED(v->glyphs);
    TERMINATED(v->colors);
    CHECK(v->nseries >= 0 && v->nseries <= RS_VIEWSPEC_SERIES_MAX);
    CHECK(v->nlayers >= 0 && v->nlayers <= RS_VIEWSPEC_LAYERS_MAX);
    CHECK(v->nmats >= 0 && v->nmats <= RS_VIEWSPEC_SERIES_MAX);
    CHECK(v->nrowlabels >= 0 && v->nrowlabels <= RS_VIEWSPEC_ROWLABELS_MAX);
    CHECK(v->grid >= 1 && v->grid <= 16);
    for (int i = 0; i < v->nseries; i++)
        TERMINATED(v->series[i]);
    for (int l = 0; l < v->nlayers; l++) {
        TERMINATED(v->layers[l]);
        TERMINATED(v->layer_series[l]);
        TERMINATED(v->layer_matrix[l]);
    }
    /* what a layer key does in the rank panel and the spectrum */
    char out[RS_BUS_NAME_MAX];
    for (int l = 0; l < v->nlayers; l++) {
        (void)rs_viewspec_relayer(out, v->matrix, v->layer, v->layers[l]);
        TERMINATED(out);
        if (v->nseries > 0)
            (void)rs_viewspec_layer_of(v->layer_series[l], v->series[0],
                                       v->layers[0]);
    }
    if (v->kind == RS_VIEWSPEC_RANK && v->nlayers > 0) {
        static char layers[RS_VIEWSPEC_LAYERS_MAX][RS_VIEWSPEC_NAME_MAX];
        int n = v->nlayers;
        memcpy(layers, v->layers, sizeof layers);
        rs_viewspec_set_layers(v, (const char(*)[RS_VIEWSPEC_NAME_MAX])layers,
                               n);
        CHECK(v->nlayers == n);
        for (int l = 0; l < v->nlayers; l++)
            TERMINATED(v->layer_series[l]);
    }
}

static void
check_set(struct rs_viewspec_set *set)
{
    TERMINATED(set->title);
    CHECK(set->n >= 0 && set->n <= RS_VIEWSPEC_VIEWS_MAX);
    CHECK(set->notes != NULL);
    (void)strlen(set->notes);
    if (set->tour != NULL)
        (void)strlen(set->tour);
    for (int i = 0; i < set->n; i++)
        check_spec(&set->v[i]);
    rs_viewspec_free(set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    char *text = rs_xmalloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (!(mode & 1)) {
        struct rs_error err = {0};
        struct rs_viewspec_set *set = rs_viewspec_parse(text, &err);
        if (set == NULL)
            CHECK(err.code == RS_EFORMAT &&
                  strncmp(err.msg, "view specs: ", 12) == 0);
        else
            check_set(set);
        free(text);
        return 0;
    }
    static char series[NAMES_MAX][RS_BUS_NAME_MAX];
    static char mats[NAMES_MAX][RS_BUS_NAME_MAX];
    int ns = 0, nm = 0, line = 0;
    for (char *p = text, *nl; p != NULL && ns < NAMES_MAX && nm < NAMES_MAX;
         p = nl, line++) {
        nl = strchr(p, '\n');
        if (nl != NULL)
            *nl++ = '\0';
        snprintf(line % 2 ? mats[nm++] : series[ns++], RS_BUS_NAME_MAX, "%s",
                 p);
    }
    check_set(rs_viewspec_default((const char(*)[RS_BUS_NAME_MAX])series, ns,
                                  (const char(*)[RS_BUS_NAME_MAX])mats, nm));
    free(text);
    return 0;
}
