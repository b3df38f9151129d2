# ui: the ncurses front end. Widgets draw into a canvas of cells; only
# ui/term.c talks to ncurses (through ui/curses_compat.h).
noinst_LIBRARIES += %D%/librs_ui.a
%C%_librs_ui_a_SOURCES = \
	%D%/canvas.c %D%/canvas.h \
	%D%/colormap.c %D%/colormap.h \
	%D%/fmt.c %D%/fmt.h \
	%D%/scale.c %D%/scale.h \
	%D%/widget.c %D%/widget.h \
	%D%/chart.c %D%/chart_data.c %D%/chart.h \
	%D%/chart_legend.c %D%/chart_widget.c %D%/chart_impl.h \
	%D%/chart_bins.c %D%/chart_band.c \
	%D%/heatmap.c %D%/heatmap.h \
	%D%/table.c %D%/table.h \
	%D%/spectrum.c %D%/spectrum.h \
	%D%/neuronmap.c %D%/neuronmap.h \
	%D%/statusbar.c %D%/statusbar.h \
	%D%/help.c %D%/help.h \
	%D%/svg.c %D%/svg.h \
	%D%/term.c %D%/term.h %D%/curses_compat.h \
	%D%/keys.c %D%/keys.h \
	%D%/layout.c %D%/layout.h \
	%D%/viewspec.c %D%/viewspec.h \
	%D%/tour.c %D%/tour.h \
	%D%/views.c %D%/views_export.c %D%/views.h \
	%D%/console.c %D%/console.h \
	%D%/app.c %D%/app_update.c %D%/app_draw.c %D%/app_tour.c %D%/app.h %D%/app_impl.h \
	%D%/loop.c %D%/loop.h

# pictures of matrices: an image, an env frame, alignment maps, patch
# predictions
%C%_librs_ui_a_SOURCES += \
	%D%/image.c %D%/image.h \
	%D%/frame.c %D%/frame.h \
	%D%/alignmap.c %D%/alignmap.h \
	%D%/patchgrid.c %D%/patchgrid.h
%C%_librs_ui_a_SOURCES += %D%/views_pictures.c %D%/views_impl.h

# the sequence views: a profile per learner, bars as small multiples, a
# text shaded by a value per character
%C%_librs_ui_a_SOURCES += \
	%D%/profile.c %D%/profile.h \
	%D%/bars.c %D%/bars.h \
	%D%/textmap.c %D%/textmap.h \
	%D%/views_seq.c %D%/views_scatter.c

# the curves panel's fill (bands from S_lo and S_hi)
%C%_librs_ui_a_SOURCES += %D%/views_curves.c

# one series against another per learner
%C%_librs_ui_a_SOURCES += %D%/scatter.c %D%/scatter.h
