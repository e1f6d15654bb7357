// libjpeg-turbo's TurboJPEG API (Debian 12: libturbojpeg0-dev 2.1.5; pkg-config `libturbojpeg`).
//
// Version 2.1 has the `tjInitDecompress` / `tjDecompressHeader3` / `tjDecompress2` and
// `tjInitCompress` / `tjCompress2` functions (the `tj3*` API arrived in 3.0). They report
// failures through return codes and `tjGetErrorStr2`, never through longjmp across callers,
// so Swift may call them directly. A handle must not be shared between threads.
#include <turbojpeg.h>

// Flags are plain integer macros (imported by Swift); these keep their use readable.
static inline int spk_tj_flag_accurate_dct(void) { return TJFLAG_ACCURATEDCT; }
static inline int spk_tj_flag_stop_on_warning(void) { return TJFLAG_STOPONWARNING; }
static inline int spk_tj_flag_no_realloc(void) { return TJFLAG_NOREALLOC; }
