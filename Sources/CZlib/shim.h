// zlib (Debian: zlib1g-dev). inflateInit2 and deflateInit2 are function-like macros that
// Swift cannot import, so they are wrapped here as static inline functions.
#include <zlib.h>

static inline int spike_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

static inline int spike_deflateInit2(z_streamp stream, int level, int windowBits) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
