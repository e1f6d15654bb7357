// oneDNN probes behind the numbers in docs/engine.md ("Kernels and their speed"), measured in
// thread CPU time on one thread so that other programs on the machine barely change them:
//   1. the forward convolution primitive alone (format_tag any: oneDNN picks nChw16c), for a
//      3x3 pad-1 layer of batch 128, and which implementation oneDNN chose;
//   2. the reorders NCHW -> nChw16c and back that SpikeLab (and PyTorch) run around it;
//   3. the CPU an idle libgomp worker burns spinning after one parallel region.
// Build and run (Debian's libdnnl-dev):
//   cc -O2 -fopenmp benchmarks/probes/onednn_probe.c -o /tmp/onednn_probe -ldnnl
//   /tmp/onednn_probe 64 32      # channels, image size
// The PyTorch side of (1) is benchmarks/probes/torch_conv_probe.py.
#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                              \
    do {                                                                         \
        dnnl_status_t status_ = (call);                                          \
        if (status_ != dnnl_success) {                                           \
            fprintf(stderr, "oneDNN failed: %s (status %d)\n", #call, status_);  \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static dnnl_memory_t filled(const dnnl_memory_desc_t *md, dnnl_engine_t engine) {
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
    void *p;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    float *f = p;
    size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    for (size_t i = 0; i < n; i++) f[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    return m;
}

// Least thread CPU time of `reps` executions (after one untimed warm-up).
static double least(dnnl_primitive_t p, dnnl_stream_t s, int nargs, dnnl_exec_arg_t *args, int reps) {
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        double t = seconds(CLOCK_THREAD_CPUTIME_ID);
        CHECK(dnnl_primitive_execute(p, s, nargs, args));
        CHECK(dnnl_stream_wait(s));
        t = seconds(CLOCK_THREAD_CPUTIME_ID) - t;
        if (r > 0 && t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s CHANNELS SIZE   (e.g. 64 32)\n", argv[0]);
        return 2;
    }
    const int n = 128, c = atoi(argv[1]), h = atoi(argv[2]), reps = 5;
    if (c < 1 || h < 1) {
        fprintf(stderr, "CHANNELS and SIZE must be positive integers, got '%s' '%s'\n", argv[1], argv[2]);
        return 2;
    }
    omp_set_num_threads(1);
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

    // 1. Forward convolution, layouts chosen by oneDNN.
    dnnl_dims_t data_dims = {n, c, h, h}, weight_dims = {c, c, 3, 3};
    dnnl_dims_t strides = {1, 1}, dilates = {0, 0}, padding = {1, 1};
    dnnl_memory_desc_t src_any, weights_any, dst_any;
    CHECK(dnnl_memory_desc_init_by_tag(&src_any, 4, data_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&weights_any, 4, weight_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_any, 4, data_dims, dnnl_f32, dnnl_format_tag_any));
    dnnl_convolution_desc_t conv;
    CHECK(dnnl_dilated_convolution_forward_desc_init(&conv, dnnl_forward_training, dnnl_convolution_direct,
                                                     &src_any, &weights_any, NULL, &dst_any, strides, dilates,
                                                     padding, padding));
    dnnl_primitive_desc_t conv_pd;
    CHECK(dnnl_primitive_desc_create(&conv_pd, &conv, NULL, engine, NULL));
    const char *impl;
    CHECK(dnnl_primitive_desc_query(conv_pd, dnnl_query_impl_info_str, 0, &impl));
    dnnl_primitive_t conv_p;
    CHECK(dnnl_primitive_create(&conv_p, conv_pd));
    const dnnl_memory_desc_t *src_md = dnnl_primitive_desc_query_md(conv_pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *weights_md = dnnl_primitive_desc_query_md(conv_pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dst_md = dnnl_primitive_desc_query_md(conv_pd, dnnl_query_dst_md, 0);
    dnnl_memory_t src = filled(src_md, engine), weights = filled(weights_md, engine), dst = filled(dst_md, engine);
    dnnl_exec_arg_t conv_args[] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
    double conv_time = least(conv_p, stream, 3, conv_args, reps);
    double flops = 2.0 * n * c * h * h * c * 9;
    printf("conv forward %dx%dx%dx%d, 3x3 pad 1, one thread: %s, %.2f ms CPU = %.1f GFLOP per CPU-second\n",
           n, c, h, h, impl, conv_time * 1e3, flops / conv_time / 1e9);

    // 2. Reorders between plain NCHW and the layout the primitive chose.
    dnnl_memory_desc_t plain;
    CHECK(dnnl_memory_desc_init_by_tag(&plain, 4, data_dims, dnnl_f32, dnnl_nchw));
    dnnl_memory_t plain_memory = filled(&plain, engine);
    for (int back = 0; back < 2; back++) {
        dnnl_primitive_desc_t pd;
        CHECK(dnnl_reorder_primitive_desc_create(&pd, back ? src_md : &plain, engine, back ? &plain : src_md,
                                                 engine, NULL));
        const char *reorder_impl;
        CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &reorder_impl));
        dnnl_primitive_t p;
        CHECK(dnnl_primitive_create(&p, pd));
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, back ? src : plain_memory}, {DNNL_ARG_TO, back ? plain_memory : src}};
        double t = least(p, stream, 2, args, reps);
        printf("reorder %s (%s): %.2f ms CPU\n", back ? "chosen -> NCHW" : "NCHW -> chosen", reorder_impl, t * 1e3);
        dnnl_primitive_destroy(p);
        dnnl_primitive_desc_destroy(pd);
    }

    // 3. libgomp's spin after a parallel region: process CPU time across a 0.5 s sleep.
    omp_set_num_threads(2);
#pragma omp parallel
    {
        volatile double x = 0;
        for (int i = 0; i < 1000; i++) x += i;
    }
    double before = seconds(CLOCK_PROCESS_CPUTIME_ID);
    struct timespec pause = {0, 500000000};
    nanosleep(&pause, NULL);
    printf("CPU an idle OpenMP worker used in the 0.5 s after one 2-thread region: %.2f ms\n",
           (seconds(CLOCK_PROCESS_CPUTIME_ID) - before) * 1e3);
    return 0;
}
