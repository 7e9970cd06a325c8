// Cairo 2D graphics with its PNG, SVG and PDF surfaces (Debian: libcairo2-dev).
#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>
#include <cairo/cairo-pdf.h>
