/* repscope - MIT licence, see COPYING.
 *
 * neuronmap.h: the dead-neuron map. Each layer's units as a wrapped grid
 * of cells, one glyph per unit by activation frequency (the fraction of a
 * probe batch on which the unit fired, rs_probe_dead_activity):
 *   ·  dead (never fired), dim grey
 *   ▫  rarely on (below `rare`)
 *   ▪  on, coloured by frequency (viridis)
 *   ■  always on (>= 1 - `rare`: a linearised unit)
 * ASCII: . o # @. The glyph carries the class, the colour the frequency,
 * so the map reads in monochrome too. Each layer has its label and a
 * "dead N/M" count on the right; the selected layer is highlighted and
 * named in the title with its count. When the units do not fit, each
 * layer is sorted by frequency and one cell stands for k units: dead if
 * all are, a digit (how many are dead) if some are; the legend says so.
 *
 * Pure: rs_neuronmap_draw reads only its arguments. UI thread.
 */
#ifndef RS_UI_NEURONMAP_H
#define RS_UI_NEURONMAP_H

#include "ui/canvas.h"
#include "ui/widget.h"

struct rs_neuron_layer {
    const char *name;  /* "L6" */
    const float *freq; /* (units) activation frequency in [0, 1]; NaN: no
                        * data; borrowed */
    int units;
};

struct rs_neuronmap {
    /* data (borrowed for the call) */
    const char *title; /* "neurons" */
    const struct rs_neuron_layer *layers;
    int nlayers;
    float rare; /* "rarely on" below this (0: 0.05) */
    /* view state */
    int sel; /* selected layer, -1: none */
};

void rs_neuronmap_draw(struct rs_canvas *cv, struct rs_rect r,
                       const struct rs_neuronmap *nm,
                       const struct rs_ui_ctx *ctx);
/* Units of layer l with frequency exactly 0 (dead). */
int rs_neuronmap_dead(const struct rs_neuron_layer *l);

/* The widget. Keys: up/down and [ ] select the layer. */
extern const struct rs_widget_class rs_neuronmap_class;
struct rs_widget *rs_neuronmap_widget_new(void);
struct rs_neuronmap *rs_neuronmap_widget_data(struct rs_widget *w);

#endif /* RS_UI_NEURONMAP_H */
