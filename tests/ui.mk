# tests of ui/ (widgets against golden canvases, the ncurses backend).
RS_UI_TEST_LIBS = tests/libtap.a ui/librs_ui.a src/run/librs_run.a \
	src/core/librs_core.a $(RS_LIBS)
RS_UI_FIXTURE = tests/ui_fixture.c tests/ui_fixture.h

check_PROGRAMS += \
	tests/t_ui_canvas \
	tests/t_ui_colormap \
	tests/t_ui_widgets \
	tests/t_ui_compose \
	tests/t_ui_term \
	tests/t_ui_svg
tests_t_ui_canvas_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_colormap_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_widgets_SOURCES = tests/t_ui_widgets.c $(RS_UI_FIXTURE)
tests_t_ui_widgets_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_compose_SOURCES = tests/t_ui_compose.c $(RS_UI_FIXTURE)
tests_t_ui_compose_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_term_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_svg_SOURCES = tests/t_ui_svg.c $(RS_UI_FIXTURE)
tests_t_ui_svg_LDADD = $(RS_UI_TEST_LIBS)

# Golden canvases: RS_GOLDEN_UPDATE=1 rewrites them (then look at them).
RS_UI_GOLDEN = \
	tests/golden/chart_acc_ascii.txt \
	tests/golden/chart_acc_mono.txt \
	tests/golden/chart_acc_utf8.txt \
	tests/golden/chart_empty_ascii.txt \
	tests/golden/chart_empty_utf8.txt \
	tests/golden/chart_logx_ema_ascii.txt \
	tests/golden/chart_logx_ema_utf8.txt \
	tests/golden/chart_loss_ascii.txt \
	tests/golden/chart_loss_utf8.txt \
	tests/golden/chart_noisy_ascii.txt \
	tests/golden/chart_noisy_ema_ascii.txt \
	tests/golden/chart_noisy_ema_utf8.txt \
	tests/golden/chart_noisy_mono.txt \
	tests/golden/chart_noisy_utf8.txt \
	tests/golden/chart_small_ascii.txt \
	tests/golden/chart_small_utf8.txt \
	tests/golden/compose_100x30_utf8.txt \
	tests/golden/compose_80x24_ansi256.txt \
	tests/golden/compose_80x24_ascii.txt \
	tests/golden/compose_80x24_help_utf8.txt \
	tests/golden/compose_80x24_mono.txt \
	tests/golden/compose_80x24_utf8.txt \
	tests/golden/heatmap_signed_ascii.txt \
	tests/golden/heatmap_signed_mono.txt \
	tests/golden/heatmap_signed_utf8.txt \
	tests/golden/heatmap_tokens_ansi256.txt \
	tests/golden/heatmap_tokens_ascii.txt \
	tests/golden/heatmap_tokens_mono.txt \
	tests/golden/heatmap_tokens_utf8.txt \
	tests/golden/help_ascii.txt \
	tests/golden/help_scroll_utf8.txt \
	tests/golden/help_utf8.txt \
	tests/golden/keybar_40_utf8.txt \
	tests/golden/keybar_80_ascii.txt \
	tests/golden/keybar_80_utf8.txt \
	tests/golden/neuronmap_ascii.txt \
	tests/golden/neuronmap_mono.txt \
	tests/golden/neuronmap_pooled_ascii.txt \
	tests/golden/neuronmap_pooled_utf8.txt \
	tests/golden/neuronmap_utf8.txt \
	tests/golden/rankstrip_ascii.txt \
	tests/golden/rankstrip_mono.txt \
	tests/golden/rankstrip_utf8.txt \
	tests/golden/screen_100x30_console_utf8.txt \
	tests/golden/screen_100x30_help_utf8.txt \
	tests/golden/screen_100x30_nan_utf8.txt \
	tests/golden/screen_100x30_utf8.txt \
	tests/golden/screen_160x50_utf8.txt \
	tests/golden/screen_39x11_utf8.txt \
	tests/golden/screen_40x12_utf8.txt \
	tests/golden/screen_80x24_ascii.txt \
	tests/golden/screen_80x24_mono.txt \
	tests/golden/screen_80x24_utf8.txt \
	tests/golden/screen_80x24_zoom_utf8.txt \
	tests/golden/spectrum_ascii.txt \
	tests/golden/spectrum_utf8.txt \
	tests/golden/statusbar_132_utf8.txt \
	tests/golden/statusbar_40_utf8.txt \
	tests/golden/statusbar_80_ascii.txt \
	tests/golden/statusbar_80_utf8.txt \
	tests/golden/statusbar_failed_utf8.txt
EXTRA_DIST += $(RS_UI_GOLDEN)

# the layout, the views, the app against a live session (no terminal)
check_PROGRAMS += tests/t_ui_layout tests/t_ui_views tests/t_ui_app \
	tests/t_ui_attach tests/t_ui_screen
tests_t_ui_screen_SOURCES = tests/t_ui_screen.c $(RS_UI_FIXTURE)
tests_t_ui_screen_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_attach_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_layout_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_views_LDADD = $(RS_UI_TEST_LIBS)
check_PROGRAMS += tests/t_ui_table
tests_t_ui_table_LDADD = $(RS_UI_TEST_LIBS)
tests_t_ui_app_LDADD = $(RS_UI_TEST_LIBS)

# a scene's tour: the state machine and the app playing it (no terminal)
check_PROGRAMS += tests/t_ui_tour
tests_t_ui_tour_LDADD = $(RS_UI_TEST_LIBS)

# the picture views: image, alignment maps, patch predictions
check_PROGRAMS += tests/t_ui_image
tests_t_ui_image_SOURCES = tests/t_ui_image.c $(RS_UI_FIXTURE)
tests_t_ui_image_LDADD = $(RS_UI_TEST_LIBS)
RS_UI_IMAGE_GOLDEN = \
	tests/golden/image_gradient_ascii.txt \
	tests/golden/image_checker_utf8.txt \
	tests/golden/image_checker_ascii.txt \
	tests/golden/image_ring_utf8.txt \
	tests/golden/image_ring_ascii.txt \
	tests/golden/image_ring_ansi256.txt \
	tests/golden/align_80x24_utf8.txt \
	tests/golden/align_80x24_ascii.txt \
	tests/golden/align_80x24_mono.txt \
	tests/golden/align_zoom_utf8.txt \
	tests/golden/align_zoom_ascii.txt \
	tests/golden/patches_utf8.txt \
	tests/golden/patches_ascii.txt
EXTRA_DIST += $(RS_UI_IMAGE_GOLDEN)
# the picture views' Lua specs and their resolution
RS_LUA_TESTS += tests/lua/t_views_image.lua

# the frame view: a grid of cell codes (an env's frame) as coloured text
check_PROGRAMS += tests/t_ui_frame
tests_t_ui_frame_SOURCES = tests/t_ui_frame.c $(RS_UI_FIXTURE)
tests_t_ui_frame_LDADD = $(RS_UI_TEST_LIBS)
RS_UI_FRAME_GOLDEN = \
	tests/golden/frame_known_utf8.txt \
	tests/golden/frame_known_ascii.txt
EXTRA_DIST += $(RS_UI_FRAME_GOLDEN)
# the frame view's Lua spec and its resolution
RS_LUA_TESTS += tests/lua/t_views_frame.lua

# the sequence views: profile, bars, text
check_PROGRAMS += tests/t_ui_seqviews
tests_t_ui_seqviews_SOURCES = tests/t_ui_seqviews.c $(RS_UI_FIXTURE)
tests_t_ui_seqviews_LDADD = $(RS_UI_TEST_LIBS)
RS_UI_SEQ_GOLDEN = \
	tests/golden/profile_utf8.txt \
	tests/golden/profile_ascii.txt \
	tests/golden/bars_known_utf8.txt \
	tests/golden/bars_known_ascii.txt \
	tests/golden/bars_select_utf8.txt \
	tests/golden/bars_signed_utf8.txt \
	tests/golden/text_known_utf8.txt \
	tests/golden/text_known_mono.txt \
	tests/golden/text_known_ascii.txt
EXTRA_DIST += $(RS_UI_SEQ_GOLDEN)
# the sequence views' Lua specs and their resolution
RS_LUA_TESTS += tests/lua/t_views_seq.lua

# bands across seeds in the line chart and the curves panel
check_PROGRAMS += tests/t_ui_band
tests_t_ui_band_SOURCES = tests/t_ui_band.c $(RS_UI_FIXTURE)
tests_t_ui_band_LDADD = $(RS_UI_TEST_LIBS)
RS_LUA_TESTS += tests/lua/t_views_band.lua

# the scatter view: one series against another per learner
check_PROGRAMS += tests/t_ui_scatter
tests_t_ui_scatter_SOURCES = tests/t_ui_scatter.c $(RS_UI_FIXTURE)
tests_t_ui_scatter_LDADD = $(RS_UI_TEST_LIBS)
RS_UI_SCATTER_GOLDEN = \
	tests/golden/scatter_utf8.txt \
	tests/golden/scatter_ansi256.txt \
	tests/golden/scatter_mono.txt \
	tests/golden/scatter_ascii.txt
EXTRA_DIST += $(RS_UI_SCATTER_GOLDEN)
# its Lua spec and its resolution
RS_LUA_TESTS += tests/lua/t_views_scatter.lua
