// oneDNN's C API (Debian 12: libdnnl-dev 2.6, OpenMP runtime) and the OpenMP calls that
// set its thread count. oneDNN has no pkg-config file on Debian, so the module map links
// `dnnl` (and `gomp`, its OpenMP runtime) by name.
#include <dnnl.h>

// libgomp's API, declared here so we need not depend on a compiler's omp.h.
extern void omp_set_num_threads(int n);
extern int omp_get_max_threads(void);
