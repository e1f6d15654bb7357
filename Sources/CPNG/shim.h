// libpng's simplified API (Debian 12: libpng-dev 1.6.39; pkg-config `libpng`).
//
// Only the `png_image_*` functions are used: they report failures through return codes and
// `png_image.message`. The classic API reports errors with longjmp, which must never cross
// Swift frames, so it is not called from Swift at all.
//
// The format constants are macros built from other macros, which Swift does not import;
// each one SpikeData needs is exposed here as a `static inline` function.
#include <png.h>

static inline png_uint_32 spk_png_image_version(void) { return PNG_IMAGE_VERSION; }

// Sample formats: 8-bit sRGB channels, interleaved.
static inline png_uint_32 spk_png_format_gray(void) { return PNG_FORMAT_GRAY; }
static inline png_uint_32 spk_png_format_gray_alpha(void) { return PNG_FORMAT_GA; }
static inline png_uint_32 spk_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline png_uint_32 spk_png_format_rgba(void) { return PNG_FORMAT_RGBA; }

// Format flags, to inspect what `png_image_begin_read_*` found in a file.
static inline png_uint_32 spk_png_format_flag_alpha(void) { return PNG_FORMAT_FLAG_ALPHA; }
static inline png_uint_32 spk_png_format_flag_color(void) { return PNG_FORMAT_FLAG_COLOR; }
static inline png_uint_32 spk_png_format_flag_linear(void) { return PNG_FORMAT_FLAG_LINEAR; }
static inline png_uint_32 spk_png_format_flag_colormap(void) { return PNG_FORMAT_FLAG_COLORMAP; }

// Colour-mapped formats: one index byte per pixel, the map holds RGB or RGBA entries.
static inline png_uint_32 spk_png_format_rgb_colormap(void) { return PNG_FORMAT_RGB_COLORMAP; }

// Image flags: treat 16-bit files without gamma information as sRGB (scale, don't re-encode).
static inline png_uint_32 spk_png_image_flag_16bit_srgb(void) { return PNG_IMAGE_FLAG_16BIT_sRGB; }

// The low two bits of `warning_or_error`: 2 or 3 means the last call failed.
static inline int spk_png_image_failed(const png_image *image) {
    return PNG_IMAGE_FAILED(*image);
}
