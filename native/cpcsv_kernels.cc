// Native float32 kernels for the workbench's TF.js `wasm` backend.
//
// The wasm backend keeps tensors in its heap (a WebAssembly.Memory); the project's kernels pass
// views of that heap here, so the heavy work (Conv2D and its two gradients, BatchMatMul, nearest
// resizing, and the fused training kernels: batch norm, Adam, the leaky-ReLU gradient, spectral
// norm's power iteration) runs on the CPU's own vector units (AVX2 + FMA where present, chosen
// at run time) and on all cores, while everything else stays in wasm. Every function is
// synchronous and writes its result into an output view the caller allocated. Layouts are
// TF.js's: images NHWC, filters HWIO, row-major matrices.
//
// GEMM: C (+)= op(A) * op(B) with the classic packed blocking (KC x NC panels of B, MC x KC
// blocks of A, a 6x16 register tile), plus matrix-vector and few-row paths. Convolutions:
// forward y = cols(x) * W with the im2col panels packed straight from the image; filter gradient
// dW = cols(x)^T * dy on bounded row chunks; input gradient as a flipped convolution at stride 1,
// else col2im(dy * W^T); direct register-blocked kernels for layers with few channels.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CPCSV_X86_AVX2 1
#include <immintrin.h>
#endif

namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;
constexpr int MC = 96;
constexpr int NC = 1024;

// ---------------------------------------------------------------------------------------------
// A small persistent thread pool: parallel_for(n, fn) runs fn(task, worker) for task in [0, n).
// A training step makes about a thousand parallel calls, often a few microseconds apart, and
// waking a sleeping thread costs tens to hundreds of microseconds on a virtual machine: idle
// workers therefore poll for new work for a while (kSpin) before they sleep, and the caller
// never waits for a worker that has not started. Workers join a call through `state_`
// (generation, closed bit, count of joined workers); the caller runs tasks itself, closes the
// call once none are left, and waits only for the workers that joined, so a late worker finds
// the call closed and never touches its (by then dead) function.

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Pool {
 public:
  explicit Pool(int threads) : threads_(std::max(1, threads)) {
    for (int i = 1; i < threads_; i++) workers_.emplace_back([this, i] { Loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int threads() const { return threads_; }

  void ParallelFor(int n, const std::function<void(int, int)>& fn) {
    if (n <= 0) return;
    if (threads_ == 1 || n == 1) {
      for (int i = 0; i < n; i++) fn(i, 0);
      return;
    }
    // Several JavaScript threads (the app and its training worker) may call in at once.
    std::lock_guard<std::mutex> caller(call_mu_);
    fn_ = &fn;
    n_ = n;
    next_.store(0, std::memory_order_relaxed);
    const uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
    state_.store(generation << kGenerationShift, std::memory_order_release);
    {
      // Under mu_, so a worker about to sleep either sees the new generation or is woken.
      std::lock_guard<std::mutex> lock(mu_);
      generation_.store(generation, std::memory_order_release);
      if (sleepers_ > 0) cv_.notify_all();
    }
    Work(0);
    state_.fetch_or(kClosed, std::memory_order_acq_rel);
    while ((state_.load(std::memory_order_acquire) & kJoinedMask) != 0) CpuRelax();
    fn_ = nullptr;
  }

 private:
  static constexpr std::chrono::microseconds kSpin{200};
  static constexpr int kGenerationShift = 16;
  static constexpr uint64_t kClosed = uint64_t{1} << 15;
  static constexpr uint64_t kJoinedMask = kClosed - 1;

  void Work(int worker) {
    for (;;) {
      int task = next_.fetch_add(1);
      if (task >= n_) break;
      (*fn_)(task, worker);
    }
  }

  // Joins call `generation` if it is still open.
  bool Join(uint64_t generation) {
    uint64_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      if ((s >> kGenerationShift) != generation || (s & kClosed) != 0) return false;
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
    }
  }

  void Loop(int worker) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t current = generation_.load(std::memory_order_acquire);
      if (current == seen) {
        const auto until = std::chrono::steady_clock::now() + kSpin;
        int polls = 0;
        while ((current = generation_.load(std::memory_order_acquire)) == seen && !stop_.load(std::memory_order_relaxed)) {
          CpuRelax();
          if (++polls % 64 == 0 && std::chrono::steady_clock::now() > until) break;
        }
        if (current == seen) {
          std::unique_lock<std::mutex> lock(mu_);
          sleepers_++;
          cv_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
          sleepers_--;
          current = generation_.load(std::memory_order_acquire);
        }
      }
      if (stop_.load()) return;
      seen = current;
      if (Join(current)) {
        Work(worker);
        state_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex call_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  int sleepers_ = 0;
  const std::function<void(int, int)>* fn_ = nullptr;
  int n_ = 0;
  std::atomic<int> next_{0};
  std::atomic<uint64_t> state_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
};

Pool* g_pool = nullptr;
bool g_avx2 = false;
// Kernel families switched off for comparisons (CPCSV_NATIVE_NO_DIRECT / _NO_PLANAR /
// _NO_POLYPHASE), read once when the library loads rather than on every convolution.
bool g_no_direct = false;
bool g_no_planar = false;
bool g_no_polyphase = false;

int DefaultThreads() {
  const char* env = std::getenv("CPCSV_NATIVE_THREADS");
  int n = env != nullptr ? std::atoi(env) : 0;
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return std::min(std::max(n, 1), 16);
}

// Runs fn(task, part) for tasks [0, tasks) over the pool, each into its own zeroed array of
// `size`, and writes their sum to `out`, added in task order: the result does not depend on
// which thread ran which task, so stop + resume reproduces a run exactly.
template <typename T, typename Fn>
void SumTaskPartials(int tasks, size_t size, T* out, const Fn& fn) {
  std::vector<std::vector<T>> partial(tasks, std::vector<T>(size, T(0)));
  g_pool->ParallelFor(tasks, [&](int task, int) { fn(task, partial[task].data()); });
  std::fill(out, out + size, T(0));
  for (const auto& part : partial) {
    for (size_t i = 0; i < size; i++) out[i] += part[i];
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM. A matrix operand is a base pointer plus a row stride and a column stride, which covers
// row-major, transposed and (for im2col chunks) sub-blocks without copies.

struct Mat {
  const float* p;
  int64_t rs;
  int64_t cs;
  float at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
};

// Packs rows [0, m) x cols [0, kc) of A into MR-row slivers: sliver s holds A[s*MR + r][k] at
// k*MR + r, zero-padded to a multiple of MR rows.
void PackA(const Mat& a, int m, int kc, float* dst) {
  for (int i0 = 0; i0 < m; i0 += MR) {
    int rows = std::min(MR, m - i0);
    if (a.cs == 1 && rows == MR) {
      const float* r[MR];
      for (int r0 = 0; r0 < MR; r0++) r[r0] = a.p + (i0 + r0) * a.rs;
      for (int k = 0; k < kc; k++) {
        for (int r0 = 0; r0 < MR; r0++) dst[r0] = r[r0][k];
        dst += MR;
      }
    } else if (a.rs == 1 && rows == MR) {
      for (int k = 0; k < kc; k++) {
        const float* col = a.p + i0 + k * a.cs;
        for (int r0 = 0; r0 < MR; r0++) dst[r0] = col[r0];
        dst += MR;
      }
    } else {
      for (int k = 0; k < kc; k++) {
        for (int r0 = 0; r0 < MR; r0++) dst[r0] = r0 < rows ? a.at(i0 + r0, k) : 0.0f;
        dst += MR;
      }
    }
  }
}

// Packs rows [0, kc) x cols [0, n) of B into NR-column slivers, zero-padded.
void PackB(const Mat& b, int kc, int n, float* dst) {
  for (int j0 = 0; j0 < n; j0 += NR) {
    int cols = std::min(NR, n - j0);
    if (b.cs == 1 && cols == NR) {
      for (int k = 0; k < kc; k++) {
        std::memcpy(dst, b.p + k * b.rs + j0, NR * sizeof(float));
        dst += NR;
      }
    } else if (b.rs == 1) {
      for (int k = 0; k < kc; k++) {
        for (int c = 0; c < NR; c++) dst[c] = c < cols ? b.p[k + (j0 + c) * b.cs] : 0.0f;
        dst += NR;
      }
    } else {
      for (int k = 0; k < kc; k++) {
        for (int c = 0; c < NR; c++) dst[c] = c < cols ? b.at(k, j0 + c) : 0.0f;
        dst += NR;
      }
    }
  }
}

// Writes (or adds) the mr x nr corner of a full MR x NR tile into C.
inline void StoreTile(const float* tile, float* c, int64_t ldc, int mr, int nr, bool accumulate) {
  for (int r = 0; r < mr; r++) {
    float* row = c + r * ldc;
    const float* t = tile + r * NR;
    if (accumulate) {
      for (int j = 0; j < nr; j++) row[j] += t[j];
    } else {
      for (int j = 0; j < nr; j++) row[j] = t[j];
    }
  }
}

void KernelGeneric(int kc, const float* a, const float* b, float* c, int64_t ldc, int mr, int nr, bool accumulate) {
  float acc[MR * NR] = {0};
  for (int k = 0; k < kc; k++) {
    for (int r = 0; r < MR; r++) {
      const float av = a[r];
      for (int j = 0; j < NR; j++) acc[r * NR + j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  StoreTile(acc, c, ldc, mr, nr, accumulate);
}

#ifdef CPCSV_X86_AVX2
// b advances by ldb per k: NR for a packed sliver, B's row stride for the few-rows path.
__attribute__((target("avx2,fma"))) void KernelAvx2(int kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                                     int mr, int nr, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
    b += ldb;
  }
  if (mr == MR && nr == NR) {
    __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int r = 0; r < MR; r++) {
      float* row = c + r * ldc;
      if (accumulate) {
        rows[r][0] = _mm256_add_ps(rows[r][0], _mm256_loadu_ps(row));
        rows[r][1] = _mm256_add_ps(rows[r][1], _mm256_loadu_ps(row + 8));
      }
      _mm256_storeu_ps(row, rows[r][0]);
      _mm256_storeu_ps(row + 8, rows[r][1]);
    }
    return;
  }
  alignas(32) float tile[MR * NR];
  _mm256_store_ps(tile + 0, c00);
  _mm256_store_ps(tile + 8, c01);
  _mm256_store_ps(tile + 16, c10);
  _mm256_store_ps(tile + 24, c11);
  _mm256_store_ps(tile + 32, c20);
  _mm256_store_ps(tile + 40, c21);
  _mm256_store_ps(tile + 48, c30);
  _mm256_store_ps(tile + 56, c31);
  _mm256_store_ps(tile + 64, c40);
  _mm256_store_ps(tile + 72, c41);
  _mm256_store_ps(tile + 80, c50);
  _mm256_store_ps(tile + 88, c51);
  StoreTile(tile, c, ldc, mr, nr, accumulate);
}
#endif

// Per-thread packing buffers, grown on demand and kept for the life of the thread.
struct Scratch {
  std::vector<float> a;
  std::vector<float> b;
  std::vector<float> cols;
  std::vector<float> zeros;
  std::vector<float> planes;
  std::vector<float> grad_planes;
};
thread_local Scratch t_scratch;

// Matrix-vector products (one output row or column): packing for the 6x16 tile would waste 15
// of 16 lanes and copy the whole matrix, so these stream it once with dot products or axpys.
float DotGeneric(const float* a, const float* b, int n) {
  float acc[8] = {0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
  }
  float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

void AxpyGeneric(float alpha, const float* x, float* y, int n) {
  for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

#ifdef CPCSV_X86_AVX2
__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma"))) void AxpyAvx2(float alpha, const float* x, float* y, int n) {
  const __m256 va = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; i++) y[i] += alpha * x[i];
}
#endif

float Dot(const float* a, const float* b, int n) {
#ifdef CPCSV_X86_AVX2
  if (g_avx2) return DotAvx2(a, b, n);
#endif
  return DotGeneric(a, b, n);
}

void Axpy(float alpha, const float* x, float* y, int n) {
#ifdef CPCSV_X86_AVX2
  if (g_avx2) return AxpyAvx2(alpha, x, y, n);
#endif
  AxpyGeneric(alpha, x, y, n);
}

// c[i * cs] (+)= sum_k A(i, k) v[k * vs] for i < m.
void Gemv(int m, int k, const Mat& a, const float* v, int64_t vs, float* c, int64_t cs, bool accumulate) {
  if (a.cs == 1 && vs == 1) {
    for (int i = 0; i < m; i++) {
      const float d = Dot(a.p + i * a.rs, v, k);
      c[i * cs] = accumulate ? c[i * cs] + d : d;
    }
    return;
  }
  if (a.rs == 1 && cs == 1) {
    if (!accumulate) std::fill(c, c + m, 0.0f);
    for (int j = 0; j < k; j++) Axpy(v[j * vs], a.p + j * a.cs, c, m);
    return;
  }
  for (int i = 0; i < m; i++) {
    float d = 0.0f;
    for (int j = 0; j < k; j++) d += a.at(i, j) * v[j * vs];
    c[i * cs] = accumulate ? c[i * cs] + d : d;
  }
}

// The packed loop nest: C[m x n] (+)= A[m x k] * B[k x n], single-threaded, C row-major with
// leading dimension ldc. `pack_a(i0, p0, mc, kc, dst)` packs rows [i0, i0 + mc) x columns
// [p0, p0 + kc) of A in PackA's layout, so A may be a matrix or computed on the fly (im2col).
template <typename PackAFn>
void GemmPacked(int m, int n, int k, const PackAFn& pack_a, const Mat& b, float* c, int64_t ldc, bool accumulate) {
  Scratch& s = t_scratch;
  const int nc_max = std::min(n, NC);
  s.b.resize(static_cast<size_t>(KC) * ((nc_max + NR - 1) / NR) * NR);
  s.a.resize(static_cast<size_t>(KC) * MC);
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = std::min(NC, n - jc);
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = std::min(KC, k - pc);
      const bool acc = accumulate || pc > 0;
      PackB(Mat{b.p + pc * b.rs + jc * b.cs, b.rs, b.cs}, kc, nc, s.b.data());
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = std::min(MC, m - ic);
        pack_a(ic, pc, mc, kc, s.a.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          const float* bp = s.b.data() + static_cast<size_t>(jr) * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            const float* ap = s.a.data() + static_cast<size_t>(ir) * kc;
            float* cp = c + (ic + ir) * ldc + jc + jr;
#ifdef CPCSV_X86_AVX2
            if (g_avx2) {
              KernelAvx2(kc, ap, bp, NR, cp, ldc, mr, nr, acc);
              continue;
            }
#endif
            KernelGeneric(kc, ap, bp, cp, ldc, mr, nr, acc);
          }
        }
      }
    }
  }
}

// Few-row products (a generator's dense layers on 10 frames, recurrent cells on a few stories)
// read B once, unpacked: packing would copy all of B (megabytes) for tiles that are mostly
// empty. Rows of B contiguous (b.cs == 1): MR x 16 register tiles over B's rows as they lie.
// Rows of B^T contiguous (b.rs == 1, B = W^T of a row-major W): blocks of IB rows of A against
// 4 rows of W as dot products, reduced across lanes at the end.
#ifdef CPCSV_X86_AVX2
// The 6x16 tile for a sliver of R < MR rows (the last of a few-rows product), so a product with
// 2 rows does not pay for 6: packed A (MR per k, only R used), B advancing by ldb.
template <int R>
__attribute__((target("avx2,fma"))) void KernelRowsAvx2(int kc, const float* a, const float* b, int64_t ldb, float* c,
                                                         int64_t ldc, int nr, bool accumulate) {
  __m256 acc[R][2];
  #pragma GCC unroll 16
  for (int r = 0; r < R; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    #pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const __m256 av = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, b1, acc[r][1]);
    }
    a += MR;
    b += ldb;
  }
  alignas(32) float tile[MR * NR];
  #pragma GCC unroll 16
  for (int r = 0; r < R; r++) {
    _mm256_store_ps(tile + r * NR, acc[r][0]);
    _mm256_store_ps(tile + r * NR + 8, acc[r][1]);
  }
  StoreTile(tile, c, ldc, R, nr, accumulate);
}

using KernelRowsFn = void (*)(int, const float*, const float*, int64_t, float*, int64_t, int, bool);
constexpr KernelRowsFn kKernelRows[MR - 1] = {KernelRowsAvx2<1>, KernelRowsAvx2<2>, KernelRowsAvx2<3>,
                                              KernelRowsAvx2<4>, KernelRowsAvx2<5>};

// A is packed whole (it is small); full 16-column strips of B are read in place, the ragged
// last strip is copied into a zero-padded one. Each strip goes down B in blocks of
// kFewRowsDepth rows that every row sliver uses in turn: B's row stride is often a multiple of
// 4 KiB, so a whole strip maps to a few cache sets and would be evicted before the next sliver.
constexpr int kFewRowsDepth = 64;

void FewRowsByRows(int m, int n, int k, const Mat& a, const Mat& b, float* c, int64_t ldc, bool accumulate) {
  Scratch& s = t_scratch;
  const int slivers = (m + MR - 1) / MR;
  s.a.resize(static_cast<size_t>(slivers) * MR * k);
  PackA(a, m, k, s.a.data());
  for (int j0 = 0; j0 < n; j0 += NR) {
    const int nr = std::min(NR, n - j0);
    const float* bp = b.p + j0;
    int64_t ldb = b.rs;
    if (nr < NR) {
      s.b.resize(static_cast<size_t>(k) * NR);
      PackB(Mat{bp, b.rs, 1}, k, nr, s.b.data());
      bp = s.b.data();
      ldb = NR;
    }
    for (int p0 = 0; p0 < k; p0 += kFewRowsDepth) {
      const int kb = std::min(kFewRowsDepth, k - p0);
      for (int i = 0; i < slivers; i++) {
        const float* ap = s.a.data() + static_cast<size_t>(i) * MR * k + static_cast<size_t>(p0) * MR;
        const int rows = std::min(MR, m - i * MR);
        float* cp = c + i * MR * ldc + j0;
        if (rows == MR) {
          KernelAvx2(kb, ap, bp + p0 * ldb, ldb, cp, ldc, MR, nr, accumulate || p0 > 0);
        } else {
          kKernelRows[rows - 1](kb, ap, bp + p0 * ldb, ldb, cp, ldc, nr, accumulate || p0 > 0);
        }
      }
    }
  }
}

__attribute__((target("avx2,fma"))) inline float HorizontalSum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

// C[i0 + r][j0 + q] for r < IB, q < 4 (rows of W past n repeat the last and are not stored).
template <int IB>
__attribute__((target("avx2,fma"))) void FewRowsDotTile(int n, int k, const Mat& a, int i0, const Mat& b, int j0,
                                                         float* c, int64_t ldc, bool accumulate) {
  __m256 acc[IB][4];
  #pragma GCC unroll 16
  for (int r = 0; r < IB; r++) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm256_setzero_ps();
  const float* w[4];
  for (int q = 0; q < 4; q++) w[q] = b.p + std::min(j0 + q, n - 1) * b.cs;
  const float* arow[IB];
  #pragma GCC unroll 16
  for (int r = 0; r < IB; r++) arow[r] = a.p + (i0 + r) * a.rs;
  int p = 0;
  for (; p + 8 <= k; p += 8) {
    const __m256 w0 = _mm256_loadu_ps(w[0] + p), w1 = _mm256_loadu_ps(w[1] + p);
    const __m256 w2 = _mm256_loadu_ps(w[2] + p), w3 = _mm256_loadu_ps(w[3] + p);
    #pragma GCC unroll 16
    for (int r = 0; r < IB; r++) {
      const __m256 av = _mm256_loadu_ps(arow[r] + p);
      acc[r][0] = _mm256_fmadd_ps(av, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(av, w1, acc[r][1]);
      acc[r][2] = _mm256_fmadd_ps(av, w2, acc[r][2]);
      acc[r][3] = _mm256_fmadd_ps(av, w3, acc[r][3]);
    }
  }
  #pragma GCC unroll 16
  for (int r = 0; r < IB; r++) {
    for (int q = 0; q < 4 && j0 + q < n; q++) {
      float sum = HorizontalSum(acc[r][q]);
      for (int t = p; t < k; t++) sum += arow[r][t] * w[q][t];
      float* dst = c + (i0 + r) * ldc + j0 + q;
      *dst = accumulate ? *dst + sum : sum;
    }
  }
}

using FewRowsDotTileFn = void (*)(int, int, const Mat&, int, const Mat&, int, float*, int64_t, bool);
constexpr FewRowsDotTileFn kFewRowsDotTiles[3] = {FewRowsDotTile<1>, FewRowsDotTile<2>, FewRowsDotTile<3>};

void FewRowsByDots(int m, int n, int k, const Mat& a, const Mat& b, float* c, int64_t ldc, bool accumulate) {
  for (int j0 = 0; j0 < n; j0 += 4) {
    for (int i0 = 0; i0 < m; i0 += 3) kFewRowsDotTiles[std::min(3, m - i0) - 1](n, k, a, i0, b, j0, c, ldc, accumulate);
  }
}
#endif

// Whether GemmSerial takes a few-rows path for this product (the threaded split keeps all rows):
// by rows up to 16 rows, by dot tiles up to 32 (20 x 4096 by 4096 x 613: 1.7 ms against 3.5
// packed; by rows 20 x 613 by 613 x 4096 loses to packing, 3.3 against 2.7).
bool FewRows(int m, const Mat& a, const Mat& b) {
#ifdef CPCSV_X86_AVX2
  return g_avx2 && ((m <= 16 && b.cs == 1) || (m <= 32 && b.rs == 1 && a.cs == 1));
#else
  (void)m;
  (void)a;
  (void)b;
  return false;
#endif
}

// Single-threaded C[m x n] (+)= A[m x k] * B[k x n]; C row-major with leading dimension ldc.
void GemmSerial(int m, int n, int k, const Mat& a, const Mat& b, float* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (int i = 0; i < m; i++) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    return;
  }
  if (n == 1) return Gemv(m, k, a, b.p, b.rs, c, ldc, accumulate);
  // C^T (n x 1) = B^T A^T: C's row becomes a column with stride 1.
  if (m == 1) return Gemv(n, k, Mat{b.p, b.cs, b.rs}, a.p, a.cs, c, 1, accumulate);
#ifdef CPCSV_X86_AVX2
  if (FewRows(m, a, b)) {
    if (b.cs == 1) return FewRowsByRows(m, n, k, a, b, c, ldc, accumulate);
    return FewRowsByDots(m, n, k, a, b, c, ldc, accumulate);
  }
#endif
  if (m <= 4 && b.cs == 1) {
    // A few rows (a recurrent cell's batch of stories): stream B once, each of its rows added
    // onto every C row, instead of packing all of B for a mostly empty 6-row tile.
    for (int i = 0; i < m; i++) {
      if (!accumulate) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    for (int p = 0; p < k; p++) {
      for (int i = 0; i < m; i++) Axpy(a.at(i, p), b.p + p * b.rs, c + i * ldc, n);
    }
    return;
  }
  if (m <= 4 && b.rs == 1 && a.cs == 1) {
    for (int i = 0; i < m; i++) Gemv(n, k, Mat{b.p, b.cs, 1}, a.p + i * a.rs, 1, c + i * ldc, 1, accumulate);
    return;
  }
  GemmPacked(m, n, k, [&](int i0, int p0, int mc, int kc, float* dst) {
    PackA(Mat{a.p + i0 * a.rs + p0 * a.cs, a.rs, a.cs}, mc, kc, dst);
  }, b, c, ldc, accumulate);
}

// Splits a GEMM over the pool: by row blocks when there are enough rows, else by column blocks.
void Gemm(int m, int n, int k, const Mat& a, const Mat& b, float* c, int64_t ldc, bool accumulate) {
  const int threads = g_pool->threads();
  const double macs = static_cast<double>(m) * n * k;
  if (threads == 1 || macs < 2.0e5) {
    GemmSerial(m, n, k, a, b, c, ldc, accumulate);
    return;
  }
  if ((m >= n || m >= threads * MC) && !FewRows(m, a, b)) {
    const int rows = std::max(MR, ((m + threads - 1) / threads + MR - 1) / MR * MR);
    const int tasks = (m + rows - 1) / rows;
    g_pool->ParallelFor(tasks, [&](int t, int) {
      const int i0 = t * rows;
      GemmSerial(std::min(rows, m - i0), n, k, Mat{a.p + i0 * a.rs, a.rs, a.cs}, b, c + i0 * ldc, ldc, accumulate);
    });
  } else {
    const int cols = std::max(NR, ((n + threads - 1) / threads + NR - 1) / NR * NR);
    const int tasks = (n + cols - 1) / cols;
    g_pool->ParallelFor(tasks, [&](int t, int) {
      const int j0 = t * cols;
      GemmSerial(m, std::min(cols, n - j0), k, a, Mat{b.p + j0 * b.cs, b.rs, b.cs}, c + j0, ldc, accumulate);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Convolutions (NHWC input, HWIO filter), im2col on chunks of output rows.

struct ConvGeom {
  int n, h, w, ci;      // input
  int ho, wo, co;       // output
  int kh, kw;           // filter
  int sh, sw, dh, dw;   // strides, dilations
  int pt, pl;           // top / left padding
  int64_t K() const { return static_cast<int64_t>(kh) * kw * ci; }
  int64_t rows() const { return static_cast<int64_t>(n) * ho * wo; }
  bool pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0; }
};

// Output pixel index -> (image, row, column), stepped along a chunk without divisions.
struct PixelCursor {
  int b, oy, ox;
  PixelCursor(const ConvGeom& g, int64_t p)
      : b(static_cast<int>(p / (static_cast<int64_t>(g.wo) * g.ho))),
        oy(static_cast<int>((p / g.wo) % g.ho)),
        ox(static_cast<int>(p % g.wo)) {}
  void Next(const ConvGeom& g) {
    if (++ox < g.wo) return;
    ox = 0;
    if (++oy < g.ho) return;
    oy = 0;
    b++;
  }
};

// Rows r0 .. r0+rows of the im2col matrix (one output pixel each) into dst[rows x K]: for each
// tap (fy, fx) the ci input channels, zeros where the tap falls in the padding.
void Im2colRows(const ConvGeom& g, const float* x, int64_t r0, int rows, float* dst) {
  const int64_t K = g.K();
  PixelCursor at(g, r0);
  for (int r = 0; r < rows; r++, at.Next(g)) {
    float* out = dst + r * K;
    for (int fy = 0; fy < g.kh; fy++) {
      const int iy = at.oy * g.sh - g.pt + fy * g.dh;
      const bool row_in = iy >= 0 && iy < g.h;
      const float* line = x + (static_cast<int64_t>(at.b) * g.h + iy) * g.w * g.ci;
      for (int fx = 0; fx < g.kw; fx++) {
        const int ix = at.ox * g.sw - g.pl + fx * g.dw;
        float* o = out + (static_cast<int64_t>(fy) * g.kw + fx) * g.ci;
        if (!row_in || ix < 0 || ix >= g.w) {
          for (int c = 0; c < g.ci; c++) o[c] = 0.0f;
        } else {
          const float* src = line + static_cast<int64_t>(ix) * g.ci;
          for (int c = 0; c < g.ci; c++) o[c] = src[c];
        }
      }
    }
  }
}

// Adds im2col rows `src` back onto the image dx (the adjoint of Im2colRows).
void Col2imRows(const ConvGeom& g, const float* src, int64_t r0, int rows, float* dx) {
  const int64_t K = g.K();
  PixelCursor at(g, r0);
  for (int r = 0; r < rows; r++, at.Next(g)) {
    const float* in = src + r * K;
    for (int fy = 0; fy < g.kh; fy++) {
      const int iy = at.oy * g.sh - g.pt + fy * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      float* line = dx + (static_cast<int64_t>(at.b) * g.h + iy) * g.w * g.ci;
      for (int fx = 0; fx < g.kw; fx++) {
        const int ix = at.ox * g.sw - g.pl + fx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        const float* v = in + (static_cast<int64_t>(fy) * g.kw + fx) * g.ci;
        float* o = line + static_cast<int64_t>(ix) * g.ci;
        for (int c = 0; c < g.ci; c++) o[c] += v[c];
      }
    }
  }
}

// PackA for im2col rows [first, first + mc) x columns [p0, p0 + kc), read straight from the
// image (no column buffer): a column is (tap, channel), so each tap contributes a run of
// channels from each of the sliver's pixels.
void PackIm2col(const ConvGeom& g, const float* x, int64_t first, int mc, int p0, int kc, float* dst) {
  std::vector<float>& zeros = t_scratch.zeros;
  if (zeros.size() < static_cast<size_t>(g.ci)) zeros.assign(g.ci, 0.0f);
  PixelCursor at(g, first);
  for (int s0 = 0; s0 < mc; s0 += MR) {
    const int rows = std::min(MR, mc - s0);
    int b[MR], oy[MR], ox[MR];
    for (int r = 0; r < MR; r++) {
      b[r] = -1;
      if (r < rows) {
        b[r] = at.b;
        oy[r] = at.oy;
        ox[r] = at.ox;
        at.Next(g);
      }
    }
    float* out = dst + static_cast<size_t>(s0) * kc;
    int t = p0 / g.ci, c = p0 % g.ci;
    for (int k = 0; k < kc; t++, c = 0) {
      const int fy = t / g.kw, fx = t % g.kw;
      const float* src[MR];
      for (int r = 0; r < MR; r++) {
        src[r] = zeros.data();
        if (b[r] < 0) continue;
        const int iy = oy[r] * g.sh - g.pt + fy * g.dh;
        const int ix = ox[r] * g.sw - g.pl + fx * g.dw;
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) src[r] = x + ((static_cast<int64_t>(b[r]) * g.h + iy) * g.w + ix) * g.ci;
      }
      const int run = std::min(g.ci - c, kc - k);
      float* o = out + static_cast<size_t>(k) * MR;
      for (int j = 0; j < run; j++, o += MR) {
        for (int r = 0; r < MR; r++) o[r] = src[r][c + j];
      }
      k += run;
    }
  }
}

// Columns one im2col buffer may hold (4 MiB).
constexpr int64_t kColumnBudget = 1 << 20;

// Rows of one im2col chunk: an even share per thread, so each thread packs the filter once,
// unless that exceeds the column budget; a whole number of MR tiles.
int ChunkRows(const ConvGeom& g) {
  const int64_t share = (g.rows() + g_pool->threads() - 1) / g_pool->threads();
  const int64_t fit = std::max<int64_t>(MR * 8, kColumnBudget / std::max<int64_t>(1, g.K()));
  const int64_t rows = std::min(share, fit);
  return static_cast<int>(std::min<int64_t>(g.rows(), (rows + MR - 1) / MR * MR));
}

// Direct convolutions for layers with few channels (a generator's last layers, a
// discriminator's first): im2col would copy each input value kh*kw times to feed a product only
// a few columns wide, so these keep the filter in L1 and the outputs in registers instead.
// Forward and input gradient are both "gather" convolutions: each output pixel sums, over the
// taps, a run of input channels times a (channels x 8 outputs) filter slice.
#ifdef CPCSV_X86_AVX2
constexpr int PX = 8;  // output pixels per register block

// wp[((t * cin + c) * groups + gi) * 8 + lane] = filter for tap t, input channel c, output
// channel gi * 8 + lane (zero past the last). Forward: c = ci, out = co. Input gradient: c = co,
// out = ci (the filter read transposed).
std::vector<float> PackGatherFilter(const ConvGeom& g, const float* w, bool input_gradient) {
  const int taps = g.kh * g.kw;
  const int cin = input_gradient ? g.co : g.ci;
  const int cout = input_gradient ? g.ci : g.co;
  const int groups = (cout + 7) / 8;
  std::vector<float> wp(static_cast<size_t>(taps) * cin * groups * 8, 0.0f);
  for (int t = 0; t < taps; t++) {
    for (int c = 0; c < cin; c++) {
      float* dst = wp.data() + (static_cast<size_t>(t) * cin + c) * groups * 8;
      for (int o = 0; o < cout; o++) {
        dst[o] = input_gradient ? w[(static_cast<int64_t>(t) * g.ci + o) * g.co + c] : w[(static_cast<int64_t>(t) * g.ci + c) * g.co + o];
      }
    }
  }
  return wp;
}

// PX output pixels: out[j][0..cout) = sum_t sum_c src[j * taps + t][c] * wp[t][c][...].
// src entries point at a run of cin input values, or are null for taps that read padding; out[j]
// is null for the unused tail of a row. A tap no pixel reads is skipped, which is what makes
// strided input gradients cheap (pixels come in blocks of one stride phase).
__attribute__((target("avx2,fma"))) void GatherBlock(const float* const* src, int taps, int cin, const float* wp,
                                                      int cout, float* const* out, const float* zeros) {
  const int groups = (cout + 7) / 8;
  for (int gi = 0; gi < groups; gi++) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
    for (int t = 0; t < taps; t++) {
      const float* s0 = src[0 * taps + t];
      const float* s1 = src[1 * taps + t];
      const float* s2 = src[2 * taps + t];
      const float* s3 = src[3 * taps + t];
      const float* s4 = src[4 * taps + t];
      const float* s5 = src[5 * taps + t];
      const float* s6 = src[6 * taps + t];
      const float* s7 = src[7 * taps + t];
      if (s0 == nullptr && s1 == nullptr && s2 == nullptr && s3 == nullptr && s4 == nullptr && s5 == nullptr &&
          s6 == nullptr && s7 == nullptr) {
        continue;
      }
      if (s0 == nullptr) s0 = zeros;
      if (s1 == nullptr) s1 = zeros;
      if (s2 == nullptr) s2 = zeros;
      if (s3 == nullptr) s3 = zeros;
      if (s4 == nullptr) s4 = zeros;
      if (s5 == nullptr) s5 = zeros;
      if (s6 == nullptr) s6 = zeros;
      if (s7 == nullptr) s7 = zeros;
      const float* wt = wp + (static_cast<size_t>(t) * cin * groups + gi) * 8;
      const size_t wstride = static_cast<size_t>(groups) * 8;
      for (int c = 0; c < cin; c++) {
        const __m256 wv = _mm256_loadu_ps(wt + c * wstride);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(s0 + c), wv, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(s1 + c), wv, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(s2 + c), wv, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(s3 + c), wv, a3);
        a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(s4 + c), wv, a4);
        a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(s5 + c), wv, a5);
        a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(s6 + c), wv, a6);
        a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(s7 + c), wv, a7);
      }
    }
    const __m256 acc[PX] = {a0, a1, a2, a3, a4, a5, a6, a7};
    const int lanes = std::min(8, cout - gi * 8);
    for (int j = 0; j < PX; j++) {
      if (out[j] == nullptr) continue;
      if (lanes == 8) {
        _mm256_storeu_ps(out[j] + gi * 8, acc[j]);
      } else {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, acc[j]);
        for (int l = 0; l < lanes; l++) out[j][gi * 8 + l] = tmp[l];
      }
    }
  }
}

// One gather convolution: out[b, y, x, :] = sum over taps (fy, fx) with ytab[y * kh + fy] and
// xtab[x * kw + fx] both >= 0 of src[b, ytab, xtab, :] * wp[tap]. The tables hold the source row
// / column a tap reads (or -1 where it reads padding), the same for every image and row.
struct GatherPlan {
  int n, out_h, out_w, out_ch;
  int phase;  // pixels of a block are `phase` apart along x (the stride, for input gradients)
  const float* src;
  int src_h, src_w, src_ch;
  int kh, kw;
  std::vector<int> ytab, xtab;
};

void DirectGather(const GatherPlan& p, const std::vector<float>& wp, float* out) {
  const int taps = p.kh * p.kw;
  const int rows = p.n * p.out_h;
  const std::vector<float> zeros(p.src_ch, 0.0f);
  const int tasks = std::min(rows, g_pool->threads() * 8);
  // Blocks of PX pixels of one phase: phase 0 is x = 0, phase, 2 phase, ...
  const int per_phase = (p.out_w + PX * p.phase - 1) / (PX * p.phase);
  const int blocks = per_phase * p.phase;
  g_pool->ParallelFor(tasks, [&](int task, int) {
    std::vector<const float*> src(static_cast<size_t>(PX) * taps);
    float* dst[PX];
    for (int row = task; row < rows; row += tasks) {
      const int b = row / p.out_h, y = row % p.out_h;
      const int* yt = p.ytab.data() + y * p.kh;
      const float* image = p.src + static_cast<int64_t>(b) * p.src_h * p.src_w * p.src_ch;
      for (int block = 0; block < blocks; block++) {
        const int ph = block / per_phase;
        const int x0 = ph + (block % per_phase) * PX * p.phase;
        for (int j = 0; j < PX; j++) {
          const int x = x0 + j * p.phase;
          const float** s = src.data() + j * taps;
          if (x >= p.out_w) {
            dst[j] = nullptr;
            for (int t = 0; t < taps; t++) s[t] = nullptr;
            continue;
          }
          dst[j] = out + (static_cast<int64_t>(row) * p.out_w + x) * p.out_ch;
          const int* xt = p.xtab.data() + x * p.kw;
          for (int fy = 0; fy < p.kh; fy++) {
            const int sy = yt[fy];
            for (int fx = 0; fx < p.kw; fx++) {
              const int sx = xt[fx];
              s[fy * p.kw + fx] = (sy < 0 || sx < 0) ? nullptr : image + (static_cast<int64_t>(sy) * p.src_w + sx) * p.src_ch;
            }
          }
        }
        GatherBlock(src.data(), taps, p.src_ch, wp.data(), p.out_ch, dst, zeros.data());
      }
    }
  });
}

// Forward taps: output o reads input o * stride - pad + f * dilation.
std::vector<int> ForwardTable(int out, int k, int stride, int pad, int dilation, int in) {
  std::vector<int> t(static_cast<size_t>(out) * k);
  for (int o = 0; o < out; o++) {
    for (int f = 0; f < k; f++) {
      const int i = o * stride - pad + f * dilation;
      t[o * k + f] = i >= 0 && i < in ? i : -1;
    }
  }
  return t;
}

// Input-gradient taps: input i receives from the output o with o * stride - pad + f * dilation = i.
std::vector<int> BackwardTable(int in, int k, int stride, int pad, int dilation, int out) {
  std::vector<int> t(static_cast<size_t>(in) * k);
  for (int i = 0; i < in; i++) {
    for (int f = 0; f < k; f++) {
      const int num = i + pad - f * dilation;
      const int o = num >= 0 && num % stride == 0 ? num / stride : -1;
      t[i * k + f] = o >= 0 && o < out ? o : -1;
    }
  }
  return t;
}

void DirectForward(const ConvGeom& g, const float* x, const float* w, float* y) {
  const GatherPlan plan{g.n, g.ho, g.wo, g.co, 1, x, g.h, g.w, g.ci, g.kh, g.kw,
                        ForwardTable(g.ho, g.kh, g.sh, g.pt, g.dh, g.h), ForwardTable(g.wo, g.kw, g.sw, g.pl, g.dw, g.w)};
  DirectGather(plan, PackGatherFilter(g, w, false), y);
}

void DirectBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const GatherPlan plan{g.n, g.h, g.w, g.ci, g.sw, dy, g.ho, g.wo, g.co, g.kh, g.kw,
                        BackwardTable(g.h, g.kh, g.sh, g.pt, g.dh, g.ho), BackwardTable(g.w, g.kw, g.sw, g.pl, g.dw, g.wo)};
  DirectGather(plan, PackGatherFilter(g, w, true), dx);
}

// acc[c] (8 output channels) += x[c] * dy for one pixel, C input channels at a time.
template <int C>
__attribute__((target("avx2,fma"))) inline void FilterAccumulate(__m256* acc, const float* xs, __m256 dv) {
  #pragma GCC unroll 16
  for (int c = 0; c < C; c++) acc[c] = _mm256_fmadd_ps(_mm256_broadcast_ss(xs + c), dv, acc[c]);
}

// dW for one tap, input channels [c0, c0 + C), output channels [o0, o0 + lanes), over output
// rows [r0, r1), added onto part[taps x ci x co].
template <int C>
__attribute__((target("avx2,fma"))) void FilterTap(const ConvGeom& g, const float* x, const float* dy, int fy, int fx,
                                                    int c0, int o0, int lanes, int r0, int r1, float* part) {
  // Float registers sum one output row; rows are added up in double. A filter gradient is a
  // sum over every pixel of the batch (40k for a 64x64 layer) that largely cancels when a batch
  // norm follows, and one float running sum over all of them drifted by 1e-4 and more.
  __m256 acc[C];
  double total[C][8] = {};
  alignas(32) int32_t mask_bits[8];
  for (int l = 0; l < 8; l++) mask_bits[l] = l < lanes ? -1 : 0;
  const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(mask_bits));
  alignas(32) float tmp[8];
  for (int row = r0; row < r1; row++) {
    const int b = row / g.ho, oy = row % g.ho;
    const int iy = oy * g.sh - g.pt + fy * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    const float* xrow = x + (static_cast<int64_t>(b) * g.h + iy) * g.w * g.ci + c0;
    const float* drow = dy + static_cast<int64_t>(row) * g.wo * g.co + o0;
    #pragma GCC unroll 16
    for (int c = 0; c < C; c++) acc[c] = _mm256_setzero_ps();
    for (int ox = 0; ox < g.wo; ox++) {
      const int ix = ox * g.sw - g.pl + fx * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      const __m256 dv = lanes == 8 ? _mm256_loadu_ps(drow + ox * g.co) : _mm256_maskload_ps(drow + ox * g.co, mask);
      FilterAccumulate<C>(acc, xrow + static_cast<int64_t>(ix) * g.ci, dv);
    }
    #pragma GCC unroll 16
    for (int c = 0; c < C; c++) {
      _mm256_store_ps(tmp, acc[c]);
      for (int l = 0; l < 8; l++) total[c][l] += tmp[l];
    }
  }
  #pragma GCC unroll 16
  for (int c = 0; c < C; c++) {
    float* dst = part + ((static_cast<int64_t>(fy) * g.kw + fx) * g.ci + c0 + c) * g.co + o0;
    for (int l = 0; l < lanes; l++) dst[l] += static_cast<float>(total[c][l]);
  }
}

using FilterTapFn = void (*)(const ConvGeom&, const float*, const float*, int, int, int, int, int, int, int, float*);
constexpr FilterTapFn kFilterTaps[8] = {FilterTap<1>, FilterTap<2>, FilterTap<3>, FilterTap<4>,
                                        FilterTap<5>, FilterTap<6>, FilterTap<7>, FilterTap<8>};

void DirectBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int rows = g.n * g.ho;
  const int threads = g_pool->threads();
  // One fixed row range per task (see SumTaskPartials).
  const int tasks = std::min(rows, threads);
  SumTaskPartials(tasks, static_cast<size_t>(g.K()) * g.co, dw, [&](int task, float* part) {
    const int r0 = static_cast<int>(static_cast<int64_t>(rows) * task / tasks);
    const int r1 = static_cast<int>(static_cast<int64_t>(rows) * (task + 1) / tasks);
    for (int fy = 0; fy < g.kh; fy++) {
      for (int fx = 0; fx < g.kw; fx++) {
        for (int o0 = 0; o0 < g.co; o0 += 8) {
          for (int c0 = 0; c0 < g.ci; c0 += 8) {
            const int cs = std::min(8, g.ci - c0);
            kFilterTaps[cs - 1](g, x, dy, fy, fx, c0, o0, std::min(8, g.co - o0), r0, r1, part);
          }
        }
      }
    }
  });
}
#endif

#ifdef CPCSV_X86_AVX2
// Planar direct convolution (stride 1, no dilation) for layers with few output channels: the
// generator's last 3x3 layers (8 -> 4, 8 -> 3, 4 -> 1) and, through the flipped-filter input
// gradient, their input gradients. The gather kernel above puts output channels in vector lanes,
// so 3 outputs fill 3 of 8; here lanes hold 8 neighbouring pixels of one output channel. The
// input is first copied into zero-padded channel planes, so every tap is an unaligned load of
// 8 pixels and the padding needs no tests; the tile is 16 pixels x up to 6 output channels.
constexpr int kPlanarMaxOutputs = 6;

struct PlanarInput {
  const float* planes;  // one image: [ci][hp][wp]
  int hp, wp;
};

// The first pixels / 8 * 8 pixels of an NHWC row (ci a multiple of 8) into channel planes:
// dst[c * plane + ix] = src[ix * ci + c], by 8x8 register transposes. Returns the pixels done.
__attribute__((target("avx2,fma"))) int TransposeRowBy8(const float* src, int pixels, int ci, float* dst, int64_t plane) {
  const int full = pixels / 8 * 8;
  for (int c0 = 0; c0 < ci; c0 += 8) {
    for (int x0 = 0; x0 < full; x0 += 8) {
      __m256 r[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src + static_cast<int64_t>(x0 + j) * ci + c0);
      const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
      const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
      const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
      const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      const __m256 out[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                             _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                             _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                             _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
#pragma GCC unroll 8
      for (int c = 0; c < 8; c++) _mm256_storeu_ps(dst + (c0 + c) * plane + x0, out[c]);
    }
  }
  return full;
}

// dst[c][y + pt][x + pl] = img[y][x][c] for one NHWC image (h x w x ch) into planes of hp x wp,
// zero elsewhere.
void ImageToPlanes(const float* img, int h, int w, int ch, int pt, int pl, int hp, int wp, float* dst) {
  const int64_t plane = static_cast<int64_t>(hp) * wp;
  for (int py = 0; py < hp; py++) {
    const int iy = py - pt;
    float* row = dst + static_cast<int64_t>(py) * wp;
    if (iy < 0 || iy >= h) {
      for (int c = 0; c < ch; c++) std::fill(row + c * plane, row + c * plane + wp, 0.0f);
      continue;
    }
    const float* src = img + static_cast<int64_t>(iy) * w * ch;
    const int right = std::min(wp, pl + w);
    for (int c = 0; c < ch; c++) {
      std::fill(row + c * plane, row + c * plane + pl, 0.0f);
      std::fill(row + c * plane + right, row + c * plane + wp, 0.0f);
    }
    int done = 0;
    if (ch % 8 == 0) done = TransposeRowBy8(src, right - pl, ch, row + pl, plane);
    for (int c = 0; c < ch; c++) {
      float* d = row + c * plane + pl;
      for (int ix = done; ix < right - pl; ix++) d[ix] = src[ix * ch + c];
    }
  }
}

// The input planes of image b for a stride-1 convolution: planes[c][y + pt][x + pl] =
// x[b][y][x][c], zero elsewhere; wp covers whole 16-pixel blocks of output. One image at a time,
// into the worker's scratch: the planes of a 64x64 image with 8 channels (170 KB) stay in L2 for
// the convolution that reads them, where converting the whole batch first cost a round trip to
// memory as long as the convolution itself.
PlanarInput ToPlanes(const ConvGeom& g, const float* x, int b) {
  PlanarInput p{nullptr, g.ho + g.kh - 1, (g.wo + 15) / 16 * 16 + g.kw - 1};
  std::vector<float>& buffer = t_scratch.planes;
  buffer.resize(static_cast<size_t>(g.ci) * p.hp * p.wp);
  ImageToPlanes(x + static_cast<int64_t>(b) * g.h * g.w * g.ci, g.h, g.w, g.ci, g.pt, g.pl, p.hp, p.wp, buffer.data());
  p.planes = buffer.data();
  return p;
}

// One row of output pixels [x0, x0 + 16) for outputs [o0, o0 + OB): wg[(c * kh + fy) * kw + fx)
// * OB + ob] holds the group's filter.
template <int OB>
__attribute__((target("avx2,fma"))) void PlanarTile(const ConvGeom& g, const PlanarInput& p, const float* wg, int oy,
                                                     int x0, float* yrow, int o0) {
  __m256 acc[OB][2];
  #pragma GCC unroll 16
  for (int o = 0; o < OB; o++) acc[o][0] = acc[o][1] = _mm256_setzero_ps();
  const int64_t plane = static_cast<int64_t>(p.hp) * p.wp;
  const float* base = p.planes + static_cast<int64_t>(oy) * p.wp + x0;
  const float* wt = wg;
  for (int c = 0; c < g.ci; c++) {
    for (int fy = 0; fy < g.kh; fy++) {
      const float* row = base + c * plane + static_cast<int64_t>(fy) * p.wp;
      for (int fx = 0; fx < g.kw; fx++) {
        const __m256 v0 = _mm256_loadu_ps(row + fx);
        const __m256 v1 = _mm256_loadu_ps(row + fx + 8);
        #pragma GCC unroll 16
        for (int o = 0; o < OB; o++) {
          const __m256 wv = _mm256_broadcast_ss(wt + o);
          acc[o][0] = _mm256_fmadd_ps(v0, wv, acc[o][0]);
          acc[o][1] = _mm256_fmadd_ps(v1, wv, acc[o][1]);
        }
        wt += OB;
      }
    }
  }
  alignas(32) float tile[OB][16];
  #pragma GCC unroll 16
  for (int o = 0; o < OB; o++) {
    _mm256_store_ps(tile[o], acc[o][0]);
    _mm256_store_ps(tile[o] + 8, acc[o][1]);
  }
  const int pixels = std::min(16, g.wo - x0);
  for (int j = 0; j < pixels; j++) {
    float* dst = yrow + static_cast<int64_t>(x0 + j) * g.co + o0;
    #pragma GCC unroll 16
    for (int o = 0; o < OB; o++) dst[o] = tile[o][j];
  }
}

using PlanarTileFn = void (*)(const ConvGeom&, const PlanarInput&, const float*, int, int, float*, int);
constexpr PlanarTileFn kPlanarTiles[kPlanarMaxOutputs] = {PlanarTile<1>, PlanarTile<2>, PlanarTile<3>,
                                                          PlanarTile<4>, PlanarTile<5>, PlanarTile<6>};

void PlanarForward(const ConvGeom& g, const float* x, const float* w, float* y) {
  // Output groups of at most kPlanarMaxOutputs, as even as possible (8 -> 4 + 4).
  const int groups = (g.co + kPlanarMaxOutputs - 1) / kPlanarMaxOutputs;
  std::vector<int> starts(groups + 1);
  for (int i = 0; i <= groups; i++) starts[i] = g.co * i / groups;
  const int taps = g.kh * g.kw;
  std::vector<float> wg(static_cast<size_t>(g.ci) * taps * g.co);
  for (int gi = 0; gi < groups; gi++) {
    const int o0 = starts[gi], ob = starts[gi + 1] - o0;
    float* dst = wg.data() + static_cast<size_t>(o0) * g.ci * taps;
    for (int c = 0; c < g.ci; c++) {
      for (int t = 0; t < taps; t++) {
        for (int o = 0; o < ob; o++) *dst++ = w[(static_cast<int64_t>(t) * g.ci + c) * g.co + o0 + o];
      }
    }
  }
  g_pool->ParallelFor(g.n, [&](int b, int) {
    const PlanarInput p = ToPlanes(g, x, b);
    for (int oy = 0; oy < g.ho; oy++) {
      float* yrow = y + (static_cast<int64_t>(b) * g.ho + oy) * g.wo * g.co;
      for (int gi = 0; gi < groups; gi++) {
        const int o0 = starts[gi];
        const float* wgp = wg.data() + static_cast<size_t>(o0) * g.ci * taps;
        for (int x0 = 0; x0 < g.wo; x0 += 16) kPlanarTiles[starts[gi + 1] - o0 - 1](g, p, wgp, oy, x0, yrow, o0);
      }
    }
  });
}
#endif

#ifdef CPCSV_X86_AVX2
// Planar filter gradient (stride 1, 3 taps across): dW[fy][fx][c][o] = sum over pixels of
// planes_x[c][y + fy][x + fx] * planes_dy[o][y][x], per image with both in the worker's scratch.
// For one (c, fy) and up to 4 outputs the 3 x 4 sums stay in registers across a band of rows
// (about 32 products per lane), then go into double: the gradient of a layer followed by batch
// norm cancels heavily, and one float sum over a whole batch lost digits.
constexpr int kPlanarFilterTaps = 3;

template <int OB>
__attribute__((target("avx2,fma"))) void PlanarFilterBand(const float* xp, int64_t xwp, const float* dyp, int64_t dplane,
                                                           int dwp, int rows, int wo16, double* out) {
  __m256 acc[kPlanarFilterTaps][OB];
#pragma GCC unroll 4
  for (int f = 0; f < kPlanarFilterTaps; f++) {
#pragma GCC unroll 4
    for (int o = 0; o < OB; o++) acc[f][o] = _mm256_setzero_ps();
  }
  for (int r = 0; r < rows; r++) {
    const float* xr = xp + r * xwp;
    const float* dr = dyp + static_cast<int64_t>(r) * dwp;
    for (int x0 = 0; x0 < wo16; x0 += 8) {
      const __m256 v0 = _mm256_loadu_ps(xr + x0), v1 = _mm256_loadu_ps(xr + x0 + 1), v2 = _mm256_loadu_ps(xr + x0 + 2);
#pragma GCC unroll 4
      for (int o = 0; o < OB; o++) {
        const __m256 d = _mm256_loadu_ps(dr + o * dplane + x0);
        acc[0][o] = _mm256_fmadd_ps(v0, d, acc[0][o]);
        acc[1][o] = _mm256_fmadd_ps(v1, d, acc[1][o]);
        acc[2][o] = _mm256_fmadd_ps(v2, d, acc[2][o]);
      }
    }
  }
#pragma GCC unroll 4
  for (int f = 0; f < kPlanarFilterTaps; f++) {
#pragma GCC unroll 4
    for (int o = 0; o < OB; o++) out[f * OB + o] += HorizontalSum(acc[f][o]);
  }
}

using PlanarFilterBandFn = void (*)(const float*, int64_t, const float*, int64_t, int, int, int, double*);
constexpr PlanarFilterBandFn kPlanarFilterBands[4] = {PlanarFilterBand<1>, PlanarFilterBand<2>, PlanarFilterBand<3>,
                                                      PlanarFilterBand<4>};

void PlanarBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int tasks = std::min(g.n, g_pool->threads());
  const int wo16 = (g.wo + 15) / 16 * 16;
  const int band = std::max(1, 256 / wo16);
  const size_t size = static_cast<size_t>(g.K()) * g.co;
  std::vector<double> total(size);
  SumTaskPartials(tasks, size, total.data(), [&](int task, double* part) {
    std::vector<double> sums(kPlanarFilterTaps * 4);
    for (int b = g.n * task / tasks; b < g.n * (task + 1) / tasks; b++) {
      const PlanarInput p = ToPlanes(g, x, b);
      std::vector<float>& dyb = t_scratch.grad_planes;
      dyb.resize(static_cast<size_t>(g.co) * g.ho * wo16);
      ImageToPlanes(dy + static_cast<int64_t>(b) * g.ho * g.wo * g.co, g.ho, g.wo, g.co, 0, 0, g.ho, wo16, dyb.data());
      const int64_t xplane = static_cast<int64_t>(p.hp) * p.wp;
      const int64_t dplane = static_cast<int64_t>(g.ho) * wo16;
      for (int c = 0; c < g.ci; c++) {
        for (int fy = 0; fy < g.kh; fy++) {
          for (int o0 = 0; o0 < g.co; o0 += 4) {
            const int ob = std::min(4, g.co - o0);
            std::fill(sums.begin(), sums.end(), 0.0);
            for (int y0 = 0; y0 < g.ho; y0 += band) {
              kPlanarFilterBands[ob - 1](p.planes + c * xplane + static_cast<int64_t>(y0 + fy) * p.wp, p.wp,
                                         dyb.data() + o0 * dplane + static_cast<int64_t>(y0) * wo16, dplane, wo16,
                                         std::min(band, g.ho - y0), wo16, sums.data());
            }
            for (int fx = 0; fx < kPlanarFilterTaps; fx++) {
              double* dst = part + ((static_cast<int64_t>(fy) * g.kw + fx) * g.ci + c) * g.co + o0;
              for (int o = 0; o < ob; o++) dst[o] += sums[fx * ob + o];
            }
          }
        }
      }
    }
  });
  for (size_t i = 0; i < size; i++) dw[i] = static_cast<float>(total[i]);
}
#endif

// Which kernel a convolution gets, from per-shape timings of the CP-CSV layers on the 2-core
// reference machine (ms for 10 frames, planar / gather or GEMM): planar for stride 1 with up to
// 32 outputs on maps at least 16 wide (8 -> 3 at 64x64: 0.38 / 1.6; 32 -> 16 at 32x32: 1.4 /
// 1.9; 64 -> 32 at 8x8 wastes half its 16-pixel tiles: 0.74 / 0.43); else the gather kernel for
// up to 16 outputs; filter gradient direct only for up to 8 outputs and 16 inputs (32 -> 16:
// 58 ms against 22) unless the planar filter gradient takes it (3 taps across, maps 32+ wide or
// 16 wide with up to 16 outputs: 8 -> 3 at 64x64: 0.42 / 1.7; 32 -> 16 at 64x64 for 20 frames:
// 14 / 19; 128 -> 64 at 16x16: 14.3 / 13.8); input gradient at stride 1 as a forward convolution (so planar too), at
// stride > 1 direct from 8 to 16 inputs (3 inputs, 4x4 stride 2: 1.4 against 0.9 by GEMM).
bool DirectAllowed() {
#ifdef CPCSV_X86_AVX2
  return g_avx2 && !g_no_direct;
#else
  return false;
#endif
}

bool UseDirectForward(const ConvGeom& g) { return DirectAllowed() && !g.pointwise() && g.co <= 16; }
bool UsePlanarForward(const ConvGeom& g) {
  return DirectAllowed() && !g_no_planar && !g.pointwise() && g.sh == 1 && g.sw == 1 &&
         g.dh == 1 && g.dw == 1 && g.co <= 32 && g.wo >= 16 && g.pt < g.kh && g.pl < g.kw;
}
bool UsePlanarFilter(const ConvGeom& g) {
  return DirectAllowed() && !g_no_planar && g.sh == 1 && g.sw == 1 && g.dh == 1 &&
         g.dw == 1 && g.kw == kPlanarFilterTaps && (g.wo >= 32 || (g.wo >= 16 && g.co <= 16)) && g.pt < g.kh && g.pl < g.kw;
}
bool UseDirectFilter(const ConvGeom& g) { return DirectAllowed() && !g.pointwise() && g.co <= 8 && g.ci <= 16; }
// (Stride 1 runs as a forward convolution, which picks its own kernel.)
bool UseDirectInput(const ConvGeom& g) { return DirectAllowed() && !g.pointwise() && g.ci >= 8 && g.ci <= 16; }

void Conv2dForward(const ConvGeom& g, const float* x, const float* w, float* y) {
  const int64_t K = g.K();
  const int64_t rows = g.rows();
  const Mat filter{w, g.co, 1};
#ifdef CPCSV_X86_AVX2
  if (UsePlanarForward(g)) return PlanarForward(g, x, w, y);
  if (UseDirectForward(g)) return DirectForward(g, x, w, y);
#endif
  if (g.pointwise()) {
    Gemm(static_cast<int>(rows), g.co, static_cast<int>(K), Mat{x, K, 1}, filter, y, g.co, false);
    return;
  }
  // An even share of rows per thread: each packs the filter once per K block and its im2col
  // rows straight from the image.
  const int threads = g_pool->threads();
  const int64_t share = ((rows + threads - 1) / threads + MR - 1) / MR * MR;
  const int tasks = static_cast<int>((rows + share - 1) / share);
  g_pool->ParallelFor(tasks, [&](int t, int) {
    const int64_t r0 = static_cast<int64_t>(t) * share;
    const int n = static_cast<int>(std::min<int64_t>(share, rows - r0));
    GemmPacked(n, g.co, static_cast<int>(K), [&](int i0, int p0, int mc, int kc, float* dst) {
      PackIm2col(g, x, r0 + i0, mc, p0, kc, dst);
    }, filter, y + r0 * g.co, g.co, false);
  });
}

// dW[K x co] = cols(x)^T * dy, summed over row chunks.
void Conv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  const int64_t K = g.K();
  const int64_t rows = g.rows();
  const int threads = g_pool->threads();
#ifdef CPCSV_X86_AVX2
  if (UsePlanarFilter(g)) return PlanarBackpropFilter(g, x, dy, dw);
  if (UseDirectFilter(g)) return DirectBackpropFilter(g, x, dy, dw);
#endif
  if (g.pointwise()) {
    Gemm(static_cast<int>(K), g.co, static_cast<int>(rows), Mat{x, 1, K}, Mat{dy, g.co, 1}, dw, g.co, false);
    return;
  }
  if (rows <= 2048 && rows * K <= 4 * kColumnBudget && g.co * K >= 256 * 1152) {
    // Few rows and a large filter (256 -> 128 at 8x8, 128 -> 256 at 4x4): dW^T = dy^T cols as
    // one product over all rows, so the K x co result is written once instead of once per chunk,
    // then transposed. Smaller filters do better chunked (ms for 20 frames, chunked / one
    // product: 128 -> 64 at 8x8: 4.0 / 5.7; 32 -> 64 4x4 stride 2 at 16x16: 1.7 / 2.5;
    // 128 -> 256 at 4x4: 6.2 / 4.7).
    std::vector<float> cols(static_cast<size_t>(rows) * K), dwt(static_cast<size_t>(K) * g.co);
    const int64_t per = std::max<int64_t>(1, (rows + threads - 1) / threads);
    g_pool->ParallelFor(static_cast<int>((rows + per - 1) / per), [&](int t, int) {
      const int64_t r0 = t * per;
      Im2colRows(g, x, r0, static_cast<int>(std::min<int64_t>(per, rows - r0)), cols.data() + r0 * K);
    });
    Gemm(g.co, static_cast<int>(K), static_cast<int>(rows), Mat{dy, 1, g.co}, Mat{cols.data(), K, 1}, dwt.data(), K, false);
    for (int o = 0; o < g.co; o++) {
      for (int64_t kk = 0; kk < K; kk++) dw[kk * g.co + o] = dwt[o * K + kk];
    }
    return;
  }
  // Chunks in fixed groups, one partial sum per group (see SumTaskPartials).
  const int chunk = ChunkRows(g);
  const int chunks = static_cast<int>((rows + chunk - 1) / chunk);
  const int tasks = std::min(chunks, threads);
  SumTaskPartials(tasks, static_cast<size_t>(K) * g.co, dw, [&](int task, float* acc) {
    Scratch& s = t_scratch;
    for (int c = chunks * task / tasks; c < chunks * (task + 1) / tasks; c++) {
      const int64_t r0 = static_cast<int64_t>(c) * chunk;
      const int n = static_cast<int>(std::min<int64_t>(chunk, rows - r0));
      s.cols.resize(static_cast<size_t>(n) * K);
      Im2colRows(g, x, r0, n, s.cols.data());
      GemmSerial(static_cast<int>(K), g.co, n, Mat{s.cols.data(), 1, K}, Mat{dy + r0 * g.co, g.co, 1}, acc, g.co, true);
    }
  });
}

// dx = col2im(dy * W^T). Workers own whole images, so their scatter-adds never overlap.
// One tap of an HWIO filter, (ci x co) at src, written transposed (co x ci) at dst: the layout
// the input gradient's forward convolutions read (stride 1 flipped, strided by phases).
void TransposeTap(const float* src, int ci, int co, float* dst) {
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o++) dst[o * ci + c] = src[c * co + o];
  }
}

// Strided input gradient by phases: with stride s and a kernel a multiple of s (a
// discriminator's 4x4 / stride 2), the input pixels of one phase (y mod s, x mod s) each
// receive from the same (k / s)^2 taps, so dx restricted to a phase is a stride-1 convolution
// of dy with that sub-filter, flipped and transposed. s^2 forward convolutions (which pick the
// planar or GEMM kernel) and an interleaving copy replace GEMM + col2im's scatter-add. It pays
// where the phases are 16+ wide (planar) or there are few input channels (ms for 20 frames,
// phases / col2im: 32x32x16 from 32: 2.1 / 2.3; 64x64x3 from 16: 1.6 / 2.6; 8x8x64 from 128:
// 1.75 / 1.56).
bool UsePolyphaseInput(const ConvGeom& g) {
  return !g_no_polyphase && (g.sh > 1 || g.sw > 1) && g.dh == 1 && g.dw == 1 &&
         g.kh % g.sh == 0 && g.kw % g.sw == 0 && g.pt < g.kh && g.pl < g.kw && g.h >= g.sh && g.w >= g.sw &&
         (g.w / g.sw >= 16 || g.ci < 8);
}

// One axis of a phase: output rows m of the phase read dy rows m - pad' + u for taps u < T, with
// filter row tap[u]; pad' = pad of the stride-1 convolution.
struct PhaseAxis {
  int size;  // pixels of this phase along the axis
  int pad;
  std::vector<int> tap;
};

PhaseAxis PhaseOf(int phase, int in, int k, int s, int pad) {
  // Input i = s m + phase receives from output o through tap f = i + pad - s o, so the taps are
  // f = r + s t (r = (phase + pad) mod s) with o = m + q - t, q = (phase + pad - r) / s.
  const int taps = k / s;
  const int r = (phase + pad) % s;
  const int q = (phase + pad - r) / s;
  PhaseAxis a{(in - phase + s - 1) / s, taps - 1 - q, std::vector<int>(taps)};
  for (int u = 0; u < taps; u++) a.tap[u] = r + s * (taps - 1 - u);
  return a;
}

void PolyphaseBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  for (int py = 0; py < g.sh; py++) {
    for (int px = 0; px < g.sw; px++) {
      const PhaseAxis ay = PhaseOf(py, g.h, g.kh, g.sh, g.pt), ax = PhaseOf(px, g.w, g.kw, g.sw, g.pl);
      const int th = static_cast<int>(ay.tap.size()), tw = static_cast<int>(ax.tap.size());
      // Sub-filter (th, tw, co, ci): w[tap y][tap x][c][o] transposed.
      std::vector<float> sub(static_cast<size_t>(th) * tw * g.co * g.ci);
      for (int u = 0; u < th; u++) {
        for (int v = 0; v < tw; v++) {
          TransposeTap(w + (static_cast<int64_t>(ay.tap[u]) * g.kw + ax.tap[v]) * g.ci * g.co, g.ci, g.co,
                       sub.data() + (static_cast<int64_t>(u) * tw + v) * g.co * g.ci);
        }
      }
      const ConvGeom t{g.n, g.ho, g.wo, g.co, ay.size, ax.size, g.ci, th, tw, 1, 1, 1, 1, ay.pad, ax.pad};
      std::vector<float> phase(static_cast<size_t>(g.n) * ay.size * ax.size * g.ci);
      Conv2dForward(t, dy, sub.data(), phase.data());
      g_pool->ParallelFor(g.n, [&](int b, int) {
        for (int m = 0; m < ay.size; m++) {
          const float* src = phase.data() + (static_cast<int64_t>(b) * ay.size + m) * ax.size * g.ci;
          float* dst = dx + ((static_cast<int64_t>(b) * g.h + g.sh * m + py) * g.w + px) * g.ci;
          for (int j = 0; j < ax.size; j++) std::memcpy(dst + static_cast<int64_t>(j) * g.sw * g.ci, src + j * g.ci, g.ci * sizeof(float));
        }
      });
    }
  }
}

void Conv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  const int64_t K = g.K();
  const Mat filterT{w, 1, g.co};
  if (g.pointwise()) {
    Gemm(static_cast<int>(g.rows()), static_cast<int>(K), g.co, Mat{dy, g.co, 1}, filterT, dx, K, false);
    return;
  }
  if (g.sh == 1 && g.sw == 1) {
    // At stride 1 the input gradient is a forward convolution of dy with the filter flipped in
    // space and transposed (co -> ci), padded by (k - 1) * dilation - pad: no col2im scatter, and
    // a reduction over kh * kw * co instead of co.
    const int taps = g.kh * g.kw;
    std::vector<float> flipped(static_cast<size_t>(taps) * g.co * g.ci);
    for (int t = 0; t < taps; t++) {
      TransposeTap(w + static_cast<int64_t>(t) * g.ci * g.co, g.ci, g.co, flipped.data() + static_cast<int64_t>(taps - 1 - t) * g.co * g.ci);
    }
    const ConvGeom t{g.n, g.ho, g.wo, g.co, g.h, g.w, g.ci, g.kh, g.kw, 1, 1, g.dh, g.dw,
                     (g.kh - 1) * g.dh - g.pt, (g.kw - 1) * g.dw - g.pl};
    return Conv2dForward(t, dy, flipped.data(), dx);
  }
  if (UsePolyphaseInput(g)) return PolyphaseBackpropInput(g, dy, w, dx);
#ifdef CPCSV_X86_AVX2
  if (UseDirectInput(g)) return DirectBackpropInput(g, dy, w, dx);
#endif
  std::fill(dx, dx + static_cast<int64_t>(g.n) * g.h * g.w * g.ci, 0.0f);
  const int64_t per_image = static_cast<int64_t>(g.ho) * g.wo;
  if (g.rows() <= 512 && g.rows() * K <= 4 * kColumnBudget) {
    // Few rows (a discriminator's 4x4 and 8x8 maps): one threaded product for all rows packs
    // the filter once per thread instead of once per image. From about a thousand rows the
    // per-image chunks win (20 frames, 16x16x32 from 64: 1.6 ms against 2.0; 8x8x64 from 128,
    // 320 rows: 2.1 against 1.8).
    std::vector<float> cols(static_cast<size_t>(g.rows()) * K);
    Gemm(static_cast<int>(g.rows()), static_cast<int>(K), g.co, Mat{dy, g.co, 1}, filterT, cols.data(), K, false);
    g_pool->ParallelFor(g.n, [&](int b, int) { Col2imRows(g, cols.data() + b * per_image * K, b * per_image, static_cast<int>(per_image), dx); });
    return;
  }
  const int chunk = static_cast<int>(std::min<int64_t>(ChunkRows(g), per_image));
  g_pool->ParallelFor(g.n, [&](int b, int) {
    Scratch& s = t_scratch;
    for (int64_t off = 0; off < per_image; off += chunk) {
      const int64_t r0 = b * per_image + off;
      const int n = static_cast<int>(std::min<int64_t>(chunk, per_image - off));
      s.cols.resize(static_cast<size_t>(n) * K);
      GemmSerial(n, static_cast<int>(K), g.co, Mat{dy + r0 * g.co, g.co, 1}, filterT, s.cols.data(), K, false);
      Col2imRows(g, s.cols.data(), r0, n, dx);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Training-mode batch normalisation over x viewed as (M rows, C channels), and Adam. Per-channel
// sums are accumulated in double: the input gradient's sum(dy) and <dy, x - mean> cancel heavily
// (a following layer's batch norm makes dy nearly orthogonal to both), and float sums over the
// 40k rows of a 64x64 layer lost three digits there.

// Tasks for `rows` rows of `row_cost` values: one for small work, else one per thread.
int RowTasks(int64_t rows, int64_t row_cost) {
  return rows * row_cost < 32768 ? 1 : static_cast<int>(std::min<int64_t>(rows, g_pool->threads()));
}

// Splits rows into RowTasks fixed ranges over the pool; fn(r0, r1, task).
template <typename Fn>
void ForRowBlocks(int64_t rows, int64_t row_cost, const Fn& fn) {
  const int tasks = RowTasks(rows, row_cost);
  g_pool->ParallelFor(tasks, [&](int t, int) { fn(rows * t / tasks, rows * (t + 1) / tasks, t); });
}

// y = (x - mean) * gamma / sqrt(var + eps) + beta, with the batch mean and 1 / sqrt(var + eps)
// out, and the running statistics moved by `momentum` (PyTorch keeps the unbiased variance):
// running = (1 - momentum) running + momentum stat, in float as the composed ops do.
struct BatchNormStats {
  float* mean;
  float* invstd;
  const float* running_mean;
  const float* running_var;
  float* running_mean_out;
  float* running_var_out;
};

// The activation a batch norm may apply to its output in the same pass: none, ReLU, or leaky
// ReLU with slope alpha > 0. Its gradient needs only the output's sign (y > 0 exactly where the
// input is > 0), the rule TF.js's and PyTorch's gradients use.
struct Activation {
  int kind;  // 0 none, 1 relu, 2 leaky relu
  float alpha;
  // The gradient's factor where y <= 0.
  float slope() const { return kind == 1 ? 0.0f : alpha; }
};

// Row kernels of batch norm and Adam. Each body is an inline function compiled twice, as is and
// for AVX2 + FMA (chosen at run time like the GEMM tile), so the same loops vectorise 8 floats
// or 4 doubles wide where the CPU allows.
#define CPCSV_INLINE inline __attribute__((always_inline))
#ifdef CPCSV_X86_AVX2
#define CPCSV_ROW_KERNEL(name, params, args)                                       \
  __attribute__((target("avx2,fma"))) void name##Avx2 params { name##Body args; } \
  void name params {                                                               \
    if (g_avx2) return name##Avx2 args;                                            \
    name##Body args;                                                               \
  }
#else
#define CPCSV_ROW_KERNEL(name, params, args) \
  void name params { name##Body args; }
#endif

// a[j] += x[r][j], b[j] += x[r][j]^2 in double over rows [r0, r1).
CPCSV_INLINE void BnMomentsBody(const float* x, int64_t r0, int64_t r1, int c, double* a, double* b) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    for (int j = 0; j < c; j++) {
      const double v = xr[j];
      a[j] += v;
      b[j] += v * v;
    }
  }
}
CPCSV_ROW_KERNEL(BnMoments, (const float* x, int64_t r0, int64_t r1, int c, double* a, double* b), (x, r0, r1, c, a, b))

// y = act((x - mean) scale + beta) over rows [r0, r1).
CPCSV_INLINE void BnApplyBody(const float* x, int64_t r0, int64_t r1, int c, const float* mean, const float* scale,
                              const float* beta, Activation act, float* y) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    if (act.kind == 0) {
      for (int j = 0; j < c; j++) yr[j] = (xr[j] - mean[j]) * scale[j] + beta[j];
    } else if (act.kind == 1) {
      for (int j = 0; j < c; j++) yr[j] = std::max((xr[j] - mean[j]) * scale[j] + beta[j], 0.0f);
    } else {
      const float alpha = act.alpha;
      for (int j = 0; j < c; j++) {
        const float v = (xr[j] - mean[j]) * scale[j] + beta[j];
        yr[j] = v > 0.0f ? v : alpha * v;
      }
    }
  }
}
CPCSV_ROW_KERNEL(BnApply, (const float* x, int64_t r0, int64_t r1, int c, const float* mean, const float* scale, const float* beta, Activation act, float* y),
                 (x, r0, r1, c, mean, scale, beta, act, y))

// With g = dy through the activation's gradient: a[j] += g, b[j] += g (x - mean) in double.
CPCSV_INLINE void BnGradMomentsBody(const float* dy, const float* y, const float* x, const float* mean, int64_t r0, int64_t r1,
                                    int c, Activation act, double* a, double* b) {
  const float slope = act.slope();
  for (int64_t r = r0; r < r1; r++) {
    const float* d = dy + r * c;
    const float* yr = y + r * c;
    const float* xr = x + r * c;
    for (int j = 0; j < c; j++) {
      const float g = act.kind == 0 || yr[j] > 0.0f ? d[j] : slope * d[j];
      a[j] += g;
      b[j] += static_cast<double>(g) * (static_cast<double>(xr[j]) - mean[j]);
    }
  }
}
CPCSV_ROW_KERNEL(BnGradMoments, (const float* dy, const float* y, const float* x, const float* mean, int64_t r0, int64_t r1, int c, Activation act, double* a, double* b),
                 (dy, y, x, mean, r0, r1, c, act, a, b))

// dx = g a + (x - mean) b + k over rows [r0, r1), g as above.
CPCSV_INLINE void BnGradApplyBody(const float* dy, const float* y, const float* x, const float* mean, int64_t r0, int64_t r1,
                                  int c, Activation act, const float* a, const float* b, const float* k, float* dx) {
  const float slope = act.slope();
  for (int64_t r = r0; r < r1; r++) {
    const float* d = dy + r * c;
    const float* yr = y + r * c;
    const float* xr = x + r * c;
    float* o = dx + r * c;
    for (int j = 0; j < c; j++) {
      const float g = act.kind == 0 || yr[j] > 0.0f ? d[j] : slope * d[j];
      o[j] = g * a[j] + (xr[j] - mean[j]) * b[j] + k[j];
    }
  }
}
CPCSV_ROW_KERNEL(BnGradApply, (const float* dy, const float* y, const float* x, const float* mean, int64_t r0, int64_t r1, int c, Activation act, const float* a, const float* b, const float* k, float* dx),
                 (dy, y, x, mean, r0, r1, c, act, a, b, k, dx))

// Per-channel sums over rows, in double: sum_rows(r0, r1, a, b) adds rows [r0, r1) onto a[c]
// and b[c]. Returns [a sums..., b sums...]; one partial per fixed row range (see SumTaskPartials).
template <typename Fn>
std::vector<double> ChannelSums(int64_t rows, int c, const Fn& sum_rows) {
  const int tasks = RowTasks(rows, c);
  std::vector<double> sums(2 * static_cast<size_t>(c));
  SumTaskPartials(tasks, sums.size(), sums.data(), [&](int task, double* part) {
    sum_rows(rows * task / tasks, rows * (task + 1) / tasks, part, part + c);
  });
  return sums;
}

void BatchNormForward(int64_t rows, int c, const float* x, const float* gamma, const float* beta, double eps,
                      double momentum, float* y, const BatchNormStats& st, Activation act) {
  const std::vector<double> sums =
      ChannelSums(rows, c, [&](int64_t r0, int64_t r1, double* a, double* b) { BnMoments(x, r0, r1, c, a, b); });
  const double* sum = sums.data();
  const double* sq = sums.data() + c;
  std::vector<float> scale(c);
  const float keep = static_cast<float>(1.0 - momentum), take = static_cast<float>(momentum);
  const float unbias = static_cast<float>(rows > 1 ? static_cast<double>(rows) / static_cast<double>(rows - 1) : 1.0);
  for (int j = 0; j < c; j++) {
    const double mean = sum[j] / static_cast<double>(rows);
    const double var = std::max(0.0, sq[j] / static_cast<double>(rows) - mean * mean);
    const float mean_f = static_cast<float>(mean), var_f = static_cast<float>(var);
    st.mean[j] = mean_f;
    st.invstd[j] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var_f + static_cast<float>(eps))));
    st.running_mean_out[j] = st.running_mean[j] * keep + mean_f * take;
    st.running_var_out[j] = st.running_var[j] * keep + (rows > 1 ? var_f * unbias : var_f) * take;
    scale[j] = gamma[j] * st.invstd[j];
  }
  ForRowBlocks(rows, c, [&](int64_t r0, int64_t r1, int) { BnApply(x, r0, r1, c, st.mean, scale.data(), beta, act, y); });
}

// dbeta = sum(dy), dgamma = <dy, x - mean> invstd,
// dx = (dy - dbeta / M - (x - mean) <dy, x - mean> invstd^2 / M) invstd gamma, where dy is first
// taken through the fused activation's gradient (from the activated output y).
void BatchNormBackward(int64_t rows, int c, const float* dy, const float* x, const float* mean, const float* invstd,
                       const float* gamma, const float* y, Activation act, float* dx, float* dgamma, float* dbeta) {
  const std::vector<double> sums = ChannelSums(rows, c, [&](int64_t r0, int64_t r1, double* a, double* b) {
    BnGradMoments(dy, y, x, mean, r0, r1, c, act, a, b);
  });
  const double* sdy = sums.data();
  const double* sdyx = sums.data() + c;
  std::vector<float> a(c), b(c), k(c);
  const double m = static_cast<double>(rows);
  for (int j = 0; j < c; j++) {
    const double inv = invstd[j];
    dbeta[j] = static_cast<float>(sdy[j]);
    dgamma[j] = static_cast<float>(sdyx[j] * inv);
    // dx = dy * a + (x - mean) * b + k, with a = invstd gamma, b = -a <dy, x-mean> invstd^2 / M,
    // k = -a sum(dy) / M.
    const double scale = inv * gamma[j];
    a[j] = static_cast<float>(scale);
    b[j] = static_cast<float>(-scale * sdyx[j] * inv * inv / m);
    k[j] = static_cast<float>(-scale * sdy[j] / m);
  }
  ForRowBlocks(rows, c, [&](int64_t r0, int64_t r1, int) { BnGradApply(dy, y, x, mean, r0, r1, c, act, a.data(), b.data(), k.data(), dx); });
}

// torch.optim.Adam (no weight decay, no amsgrad), in place on fresh copies:
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size m / (sqrt(v) / c2 + eps).
// The (1 - beta) factors come in computed in double, as PyTorch passes them (a float 1 - 0.999f
// differs from float(0.001) by 1e-5 relative).
struct AdamHyper {
  float b1, one_b1, b2, one_b2, step_size, c2, eps;
};

void AdamRows(int64_t i0, int64_t i1, const float* p, const float* m, const float* v, const float* g, AdamHyper h,
              float* p_out, float* m_out, float* v_out) {
  for (int64_t i = i0; i < i1; i++) {
    const float gi = g[i];
    const float mi = h.b1 * m[i] + h.one_b1 * gi;
    const float vi = h.b2 * v[i] + h.one_b2 * (gi * gi);
    const float denom = std::sqrt(vi) / h.c2 + h.eps;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p[i] - h.step_size * (mi / denom);
  }
}

#ifdef CPCSV_X86_AVX2
// The same arithmetic 8 wide, each product and sum rounded separately as in the scalar loop
// (no fused multiply-adds), so both give the same bits.
__attribute__((target("avx2,fma"))) void AdamRowsAvx2(int64_t i0, int64_t i1, const float* p, const float* m, const float* v,
                                                       const float* g, AdamHyper h, float* p_out, float* m_out, float* v_out) {
  const __m256 b1 = _mm256_set1_ps(h.b1), one_b1 = _mm256_set1_ps(h.one_b1), b2 = _mm256_set1_ps(h.b2);
  const __m256 one_b2 = _mm256_set1_ps(h.one_b2), step = _mm256_set1_ps(h.step_size), c2 = _mm256_set1_ps(h.c2);
  const __m256 eps = _mm256_set1_ps(h.eps);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 mi = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(one_b1, gi));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(one_b2, _mm256_mul_ps(gi, gi)));
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), c2), eps);
    _mm256_storeu_ps(m_out + i, mi);
    _mm256_storeu_ps(v_out + i, vi);
    _mm256_storeu_ps(p_out + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), _mm256_mul_ps(step, _mm256_div_ps(mi, denom))));
  }
  AdamRows(i, i1, p, m, v, g, h, p_out, m_out, v_out);
}
#endif

void AdamUpdate(int64_t n, const float* p, const float* m, const float* v, const float* g, float b1, float one_b1,
                float b2, float one_b2, float step_size, float c2, float eps, float* p_out, float* m_out, float* v_out) {
  const AdamHyper h{b1, one_b1, b2, one_b2, step_size, c2, eps};
  ForRowBlocks(n, 1, [&](int64_t i0, int64_t i1, int) {
#ifdef CPCSV_X86_AVX2
    if (g_avx2) return AdamRowsAvx2(i0, i1, p, m, v, g, h, p_out, m_out, v_out);
#endif
    AdamRows(i0, i1, p, m, v, g, h, p_out, m_out, v_out);
  });
}

// ---------------------------------------------------------------------------------------------
// N-API glue.

napi_value Throw(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

bool GetFloats(napi_env env, napi_value value, float** data, size_t* length) {
  napi_typedarray_type type;
  void* raw = nullptr;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &buffer, &offset) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = static_cast<float*>(raw);
  return true;
}

bool GetInts(napi_env env, napi_value value, int64_t* out, size_t count) {
  uint32_t length = 0;
  if (napi_get_array_length(env, value, &length) != napi_ok || length != count) return false;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    if (napi_get_element(env, value, i, &item) != napi_ok) return false;
    if (napi_get_value_int64(env, item, &out[i]) != napi_ok) return false;
  }
  return true;
}

// Exactly `count` (at most 16) arguments into argv, else a thrown error with the call's usage.
bool ReadArgs(napi_env env, napi_callback_info info, size_t count, napi_value* argv, const char* usage) {
  size_t argc = 16;
  napi_value all[16];
  napi_get_cb_info(env, info, &argc, all, nullptr, nullptr);
  if (argc != count) {
    napi_throw_error(env, nullptr, usage);
    return false;
  }
  std::copy(all, all + count, argv);
  return true;
}

// Float32Array views of argv[0 .. count).
bool GetFloatArgs(napi_env env, const napi_value* argv, int count, float** data, size_t* length) {
  for (int i = 0; i < count; i++) {
    if (!GetFloats(env, argv[i], &data[i], &length[i])) return false;
  }
  return true;
}

// Reads an element-wise call's `argc` arguments, the first `arrays` of them equally long
// Float32Arrays; throws (naming `name` and `usage`) and returns false otherwise.
bool ReadElementwise(napi_env env, napi_callback_info info, size_t argc, napi_value* argv, int arrays, float** f, size_t* n,
                     const char* name, const char* usage) {
  if (!ReadArgs(env, info, argc, argv, usage)) return false;
  size_t len[4];
  std::string message = std::string(name) + ": operands must be Float32Arrays";
  if (!GetFloatArgs(env, argv, arrays, f, len)) return Throw(env, message.c_str()), false;
  for (int i = 1; i < arrays; i++) {
    if (len[i] != len[0]) return Throw(env, (std::string(name) + ": operands differ in size").c_str()), false;
  }
  *n = len[0];
  return true;
}

// conv2d(kind, x|dy, w|dy, out, [n,h,w,ci, ho,wo,co, kh,kw, sh,sw, dh,dw, pt,pl])
// kind 0: forward (x, w -> y); 1: filter gradient (x, dy -> dw); 2: input gradient (dy, w -> dx).
napi_value Conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!ReadArgs(env, info, 5, argv, "conv2d expects (kind, a, b, out, geometry)")) return nullptr;
  int32_t kind = -1;
  napi_get_value_int32(env, argv[0], &kind);
  int64_t v[15];
  if (!GetInts(env, argv[4], v, 15)) return Throw(env, "conv2d: geometry must be an array of 15 integers");
  ConvGeom g{static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2]), static_cast<int>(v[3]),
             static_cast<int>(v[4]), static_cast<int>(v[5]), static_cast<int>(v[6]), static_cast<int>(v[7]),
             static_cast<int>(v[8]), static_cast<int>(v[9]), static_cast<int>(v[10]), static_cast<int>(v[11]),
             static_cast<int>(v[12]), static_cast<int>(v[13]), static_cast<int>(v[14])};
  float* f[3];
  size_t len[3];
  if (!GetFloatArgs(env, argv + 1, 3, f, len)) return Throw(env, "conv2d: operands must be Float32Arrays");
  float *a = f[0], *b = f[1], *out = f[2];
  const size_t la = len[0], lb = len[1], lo = len[2];
  const size_t xs = static_cast<size_t>(g.n) * g.h * g.w * g.ci;
  const size_t ys = static_cast<size_t>(g.rows()) * g.co;
  const size_t ws = static_cast<size_t>(g.K()) * g.co;
  bool ok = false;
  if (kind == 0) ok = la == xs && lb == ws && lo == ys;
  if (kind == 1) ok = la == xs && lb == ys && lo == ws;
  if (kind == 2) ok = la == ys && lb == ws && lo == xs;
  if (!ok) return Throw(env, "conv2d: operand sizes do not match the geometry");
  if (kind == 0) Conv2dForward(g, a, b, out);
  if (kind == 1) Conv2dBackpropFilter(g, a, b, out);
  if (kind == 2) Conv2dBackpropInput(g, a, b, out);
  return nullptr;
}

// matmul(a, b, c, [batch, m, n, k, transA, transB, batchA, batchB]): c[i] = op(a[i]) * op(b[i]),
// where batchA / batchB are 0 for an operand broadcast over the batch.
napi_value MatMul(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!ReadArgs(env, info, 4, argv, "matmul expects (a, b, c, dims)")) return nullptr;
  int64_t v[8];
  if (!GetInts(env, argv[3], v, 8)) return Throw(env, "matmul: dims must be an array of 8 integers");
  const int64_t batch = v[0], m = v[1], n = v[2], k = v[3];
  const bool ta = v[4] != 0, tb = v[5] != 0, ba = v[6] != 0, bb = v[7] != 0;
  float* f[3];
  size_t len[3];
  if (!GetFloatArgs(env, argv, 3, f, len)) return Throw(env, "matmul: operands must be Float32Arrays");
  float *a = f[0], *b = f[1], *c = f[2];
  const size_t la = len[0], lb = len[1], lc = len[2];
  if (la != static_cast<size_t>((ba ? batch : 1) * m * k) || lb != static_cast<size_t>((bb ? batch : 1) * k * n) ||
      lc != static_cast<size_t>(batch * m * n)) {
    return Throw(env, "matmul: operand sizes do not match the dimensions");
  }
  for (int64_t i = 0; i < batch; i++) {
    const float* ap = a + (ba ? i * m * k : 0);
    const float* bp = b + (bb ? i * k * n : 0);
    const Mat am = ta ? Mat{ap, 1, m} : Mat{ap, k, 1};
    const Mat bm = tb ? Mat{bp, 1, k} : Mat{bp, n, 1};
    Gemm(static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), am, bm, c + i * m * n, n, false);
  }
  return nullptr;
}

// batchnorm(x, gamma, beta, runningMean, runningVar, y, mean, invstd, runningMeanOut,
//           runningVarOut, [rows, channels], eps, momentum)
// Reads an activation (kind 0 none / 1 relu / 2 leaky relu, alpha) from two arguments.
bool GetActivation(napi_env env, napi_value kind, napi_value alpha, Activation* act) {
  int32_t k = -1;
  double a = 0;
  if (napi_get_value_int32(env, kind, &k) != napi_ok || napi_get_value_double(env, alpha, &a) != napi_ok) return false;
  if (k < 0 || k > 2 || (k == 2 && !(a > 0))) return false;
  *act = Activation{k, static_cast<float>(a)};
  return true;
}

napi_value BatchNorm(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!ReadArgs(env, info, 15, argv, "batchnorm expects (x, gamma, beta, runningMean, runningVar, y, mean, invstd, runningMeanOut, runningVarOut, dims, eps, momentum, activation, alpha)")) return nullptr;
  int64_t d[2];
  if (!GetInts(env, argv[10], d, 2)) return Throw(env, "batchnorm: dims must be [rows, channels]");
  double eps = 0, momentum = 0;
  napi_get_value_double(env, argv[11], &eps);
  napi_get_value_double(env, argv[12], &momentum);
  Activation act{};
  if (!GetActivation(env, argv[13], argv[14], &act)) return Throw(env, "batchnorm: activation must be 0, 1 or 2 (with alpha > 0)");
  float* f[10];
  size_t len[10];
  if (!GetFloatArgs(env, argv, 10, f, len)) return Throw(env, "batchnorm: operands must be Float32Arrays");
  const size_t rows = static_cast<size_t>(d[0]), c = static_cast<size_t>(d[1]);
  for (int i = 0; i < 10; i++) {
    const size_t expected = (i == 0 || i == 5) ? rows * c : c;
    if (len[i] != expected) return Throw(env, "batchnorm: operand sizes do not match the dimensions");
  }
  BatchNormForward(d[0], static_cast<int>(c), f[0], f[1], f[2], eps, momentum, f[5], BatchNormStats{f[6], f[7], f[3], f[4], f[8], f[9]}, act);
  return nullptr;
}

// batchnormGrad(dy, x, mean, invstd, gamma, y, dx, dgamma, dbeta, [rows, channels], activation, alpha):
// y is the forward's (activated) output, read only with an activation.
napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!ReadArgs(env, info, 12, argv, "batchnormGrad expects (dy, x, mean, invstd, gamma, y, dx, dgamma, dbeta, dims, activation, alpha)")) return nullptr;
  int64_t d[2];
  if (!GetInts(env, argv[9], d, 2)) return Throw(env, "batchnormGrad: dims must be [rows, channels]");
  Activation act{};
  if (!GetActivation(env, argv[10], argv[11], &act)) return Throw(env, "batchnormGrad: activation must be 0, 1 or 2 (with alpha > 0)");
  float* f[9];
  size_t len[9];
  if (!GetFloatArgs(env, argv, 9, f, len)) return Throw(env, "batchnormGrad: operands must be Float32Arrays");
  const size_t rows = static_cast<size_t>(d[0]), c = static_cast<size_t>(d[1]);
  const size_t expect[9] = {rows * c, rows * c, c, c, c, rows * c, rows * c, c, c};
  for (int i = 0; i < 9; i++) {
    if (len[i] != expect[i]) return Throw(env, "batchnormGrad: operand sizes do not match the dimensions");
  }
  BatchNormBackward(d[0], static_cast<int>(c), f[0], f[1], f[2], f[3], f[4], f[5], act, f[6], f[7], f[8]);
  return nullptr;
}

// adam(p, m, v, g, pOut, mOut, vOut, [b1, 1 - b1, b2, 1 - b2, stepSize, correction2, eps])
napi_value Adam(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!ReadArgs(env, info, 8, argv, "adam expects (p, m, v, g, pOut, mOut, vOut, hyper)")) return nullptr;
  float* f[7];
  size_t len[7];
  if (!GetFloatArgs(env, argv, 7, f, len)) return Throw(env, "adam: operands must be Float32Arrays");
  for (int i = 1; i < 7; i++) {
    if (len[i] != len[0]) return Throw(env, "adam: operands differ in size");
  }
  float h[7];
  for (uint32_t i = 0; i < 7; i++) {
    napi_value item;
    double value = 0;
    if (napi_get_element(env, argv[7], i, &item) != napi_ok || napi_get_value_double(env, item, &value) != napi_ok) {
      return Throw(env, "adam: hyper-parameters must be [b1, 1 - b1, b2, 1 - b2, stepSize, correction2, eps]");
    }
    h[i] = static_cast<float>(value);
  }
  AdamUpdate(static_cast<int64_t>(len[0]), f[0], f[1], f[2], f[3], h[0], h[1], h[2], h[3], h[4], h[5], h[6], f[4], f[5], f[6]);
  return nullptr;
}

// resizeNearest(kind, src, out, [n, inH, inW, c, outH, outW], rows, cols)
// kind 0: out[b, y, x] = src[b, rows[y], cols[x]]; kind 1 (gradient): out = 0, then
// out[b, rows[y], cols[x]] += src[b, y, x]. Images are split over the pool.
napi_value ResizeNearest(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!ReadArgs(env, info, 6, argv, "resizeNearest expects (kind, src, out, dims, rows, cols)")) return nullptr;
  int32_t kind = -1;
  napi_get_value_int32(env, argv[0], &kind);
  int64_t d[6];
  if (!GetInts(env, argv[3], d, 6)) return Throw(env, "resizeNearest: dims must be [n, inH, inW, c, outH, outW]");
  float* f[2];
  size_t len[2];
  if (!GetFloatArgs(env, argv + 1, 2, f, len)) return Throw(env, "resizeNearest: images must be Float32Arrays");
  float *src = f[0], *out = f[1];
  const size_t ls = len[0], lo = len[1];
  int32_t* tabs[2];
  size_t lt[2];
  for (int i = 0; i < 2; i++) {
    napi_typedarray_type type;
    void* raw = nullptr;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[4 + i], &type, &lt[i], &raw, &buffer, &offset) != napi_ok || type != napi_int32_array) {
      return Throw(env, "resizeNearest: tables must be Int32Arrays");
    }
    tabs[i] = static_cast<int32_t*>(raw);
  }
  const int64_t n = d[0], ih = d[1], iw = d[2], c = d[3], oh = d[4], ow = d[5];
  const size_t in_size = static_cast<size_t>(n * ih * iw * c), out_size = static_cast<size_t>(n * oh * ow * c);
  const bool ok = kind == 0 ? (ls == in_size && lo == out_size) : kind == 1 ? (ls == out_size && lo == in_size) : false;
  if (!ok || lt[0] != static_cast<size_t>(oh) || lt[1] != static_cast<size_t>(ow)) {
    return Throw(env, "resizeNearest: operand sizes do not match the dimensions");
  }
  for (int64_t y = 0; y < oh; y++) {
    if (tabs[0][y] < 0 || tabs[0][y] >= ih) return Throw(env, "resizeNearest: row table out of range");
  }
  for (int64_t x = 0; x < ow; x++) {
    if (tabs[1][x] < 0 || tabs[1][x] >= iw) return Throw(env, "resizeNearest: column table out of range");
  }
  const int32_t* rows = tabs[0];
  const int32_t* cols = tabs[1];
  g_pool->ParallelFor(static_cast<int>(n), [&](int b, int) {
    const float* image = kind == 0 ? src + b * ih * iw * c : nullptr;
    float* dx = kind == 1 ? out + b * ih * iw * c : nullptr;
    if (kind == 1) std::fill(dx, dx + ih * iw * c, 0.0f);
    for (int64_t y = 0; y < oh; y++) {
      for (int64_t x = 0; x < ow; x++) {
        const int64_t s = (static_cast<int64_t>(rows[y]) * iw + cols[x]) * c;
        const int64_t o = ((b * oh + y) * ow + x) * c;
        if (kind == 0) {
          std::memcpy(out + o, image + s, c * sizeof(float));
        } else {
          const float* g = src + o;
          for (int64_t j = 0; j < c; j++) dx[s + j] += g[j];
        }
      }
    }
  });
  return nullptr;
}

// leakyReluGrad(dy, x, dx, alpha): dx = x > 0 ? dy : alpha dy (PyTorch's and TF.js's rule).
napi_value LeakyReluGrad(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float* f[3];
  size_t n = 0;
  if (!ReadElementwise(env, info, 4, argv, 3, f, &n, "leakyReluGrad", "leakyReluGrad expects (dy, x, dx, alpha)")) return nullptr;
  const float *dy = f[0], *x = f[1];
  float* dx = f[2];
  double alpha_d = 0;
  napi_get_value_double(env, argv[3], &alpha_d);
  const float alpha = static_cast<float>(alpha_d);
  ForRowBlocks(static_cast<int64_t>(n), 1, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
  });
  return nullptr;
}

// spectralPower(w, u, uOut, vOut, [rows, cols]): one power iteration of spectral norm on W
// (rows x cols, row-major): v = normalize(W u), u = normalize(W^T v), normalize(x) =
// x / max(|x|, 1e-12) (torch.nn.utils.spectral_norm's, with W^T as stored here). Norms in double.
napi_value SpectralPower(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!ReadArgs(env, info, 5, argv, "spectralPower expects (w, u, uOut, vOut, dims)")) return nullptr;
  int64_t d[2];
  if (!GetInts(env, argv[4], d, 2)) return Throw(env, "spectralPower: dims must be [rows, cols]");
  float* f[4];
  size_t len[4];
  if (!GetFloatArgs(env, argv, 4, f, len)) return Throw(env, "spectralPower: operands must be Float32Arrays");
  const int64_t rows = d[0], cols = d[1];
  if (len[0] != static_cast<size_t>(rows * cols) || len[1] != static_cast<size_t>(cols) || len[2] != static_cast<size_t>(cols) ||
      len[3] != static_cast<size_t>(rows)) {
    return Throw(env, "spectralPower: operand sizes do not match the dimensions");
  }
  const float* w = f[0];
  const float* u = f[1];
  float* u_out = f[2];
  float* v_out = f[3];
  auto normalize = [](float* x, int64_t n) {
    double sq = 0;
    for (int64_t i = 0; i < n; i++) sq += static_cast<double>(x[i]) * x[i];
    const float norm = std::max(static_cast<float>(std::sqrt(sq)), 1e-12f);
    for (int64_t i = 0; i < n; i++) x[i] /= norm;
  };
  for (int64_t r = 0; r < rows; r++) v_out[r] = Dot(w + r * cols, u, static_cast<int>(cols));
  normalize(v_out, rows);
  std::fill(u_out, u_out + cols, 0.0f);
  for (int64_t r = 0; r < rows; r++) Axpy(v_out[r], w + r * cols, u_out, static_cast<int>(cols));
  normalize(u_out, cols);
  return nullptr;
}

// tanh by a rational approximation: x P(x^2) / Q(x^2), odd degree 13 over even degree 6, on x
// clamped to +-7.9053 (where float tanh is 1), x itself below |x| < 4e-4 (tanh(x) = x there to
// float precision). These are the minimax coefficients Eigen uses for float tanh; the error is a
// few ulp, where libm's tanhf in a plain loop costs 20x more.
inline float TanhRational(float a) {
  const float x = std::min(std::max(a, -7.90531110763549805f), 7.90531110763549805f);
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return std::fabs(a) < 0.0004f ? a : p / q;
}

void TanhRange(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = TanhRational(x[i]);
}

#ifdef CPCSV_X86_AVX2
// The same loop compiled for AVX2 + FMA: GCC vectorises it 8 lanes wide.
__attribute__((target("avx2,fma"))) void TanhRangeAvx2(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = TanhRational(x[i]);
}
#endif

// tanh(x, y): y = tanh(x) element-wise.
napi_value Tanh(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  float* f[2];
  size_t n = 0;
  if (!ReadElementwise(env, info, 2, argv, 2, f, &n, "tanh", "tanh expects (x, y)")) return nullptr;
  const float* x = f[0];
  float* y = f[1];
  ForRowBlocks(static_cast<int64_t>(n), 8, [&](int64_t i0, int64_t i1, int) {
#ifdef CPCSV_X86_AVX2
    if (g_avx2) return TanhRangeAvx2(x + i0, y + i0, i1 - i0);
#endif
    TanhRange(x + i0, y + i0, i1 - i0);
  });
  return nullptr;
}

// tanhGrad(dy, y, dx): dx = dy (1 - y^2), from tanh's output y (TF.js's rule).
napi_value TanhGrad(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  float* f[3];
  size_t n = 0;
  if (!ReadElementwise(env, info, 3, argv, 3, f, &n, "tanhGrad", "tanhGrad expects (dy, y, dx)")) return nullptr;
  const float *dy = f[0], *y = f[1];
  float* dx = f[2];
  ForRowBlocks(static_cast<int64_t>(n), 1, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) dx[i] = (1.0f - y[i] * y[i]) * dy[i];
  });
  return nullptr;
}

// Spectral norm's W / sigma, optionally split along the kernel's input channels (a
// discriminator head's joint kernel: feature rows into `out`, condition rows into `outB`). W is
// (rows, cols) row-major with rows = taps x cin; split = 0 keeps it whole (outB unused), else rows
// with channel < split go to out (taps x split rows) and the rest to outB.
struct SplitRows {
  int64_t cin, split;
  // Values in the first part of a (rows x cols) weight (all of it without a split).
  size_t FirstSize(int64_t rows, int64_t cols) const {
    return static_cast<size_t>(rows / cin * (split == 0 ? cin : split) * cols);
  }
  // Destination of row r: (second part?, row index within its part).
  std::pair<bool, int64_t> Of(int64_t r) const {
    if (split == 0) return {false, r};
    const int64_t t = r / cin, c = r % cin;
    return c < split ? std::make_pair(false, t * split + c) : std::make_pair(true, t * (cin - split) + c - split);
  }
};

bool GetSpectralDims(napi_env env, napi_value value, int64_t* rows, int64_t* cols, SplitRows* split) {
  int64_t d[4];
  if (!GetInts(env, value, d, 4)) return false;
  *rows = d[0];
  *cols = d[1];
  *split = SplitRows{d[2], d[3]};
  return d[0] > 0 && d[1] > 0 && d[2] > 0 && d[0] % d[2] == 0 && d[3] >= 0 && d[3] < d[2];
}

// spectralNormalize(w, u, v, out, outB, sigma, [rows, cols, cin, split]): sigma = u . (v^T W),
// out(/outB) = W / sigma. The composed ops' order: v^T W in float per column, then the dot with u.
napi_value SpectralNormalize(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!ReadArgs(env, info, 7, argv, "spectralNormalize expects (w, u, v, out, outB, sigma, dims)")) return nullptr;
  int64_t rows = 0, cols = 0;
  SplitRows split{};
  if (!GetSpectralDims(env, argv[6], &rows, &cols, &split)) return Throw(env, "spectralNormalize: dims must be [rows, cols, cin, split]");
  float* f[6];
  size_t len[6];
  if (!GetFloatArgs(env, argv, 6, f, len)) return Throw(env, "spectralNormalize: operands must be Float32Arrays");
  const size_t n = static_cast<size_t>(rows * cols), first = split.FirstSize(rows, cols);
  if (len[0] != n || len[1] != static_cast<size_t>(cols) || len[2] != static_cast<size_t>(rows) || len[3] != first ||
      (split.split > 0 && len[4] != n - first) || len[5] != 1) {
    return Throw(env, "spectralNormalize: operand sizes do not match the dimensions");
  }
  const float *w = f[0], *u = f[1], *v = f[2];
  std::vector<float> wv(static_cast<size_t>(cols), 0.0f);
  for (int64_t r = 0; r < rows; r++) Axpy(v[r], w + r * cols, wv.data(), static_cast<int>(cols));
  double sigma_d = 0;
  for (int64_t j = 0; j < cols; j++) sigma_d += static_cast<double>(wv[j]) * u[j];
  const float sigma = static_cast<float>(sigma_d);
  f[5][0] = sigma;
  ForRowBlocks(rows, cols, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) {
      const auto [second, row] = split.Of(r);
      float* o = (second ? f[4] : f[3]) + row * cols;
      const float* wr = w + r * cols;
      for (int64_t j = 0; j < cols; j++) o[j] = wr[j] / sigma;
    }
  });
  return nullptr;
}

// spectralNormalizeGrad(dy, dyB, w, u, v, sigma, dw, [rows, cols, cin, split]): the gradient of
// W / sigma with sigma = u . (v^T W): dW = dy / sigma - (sum(dy * W) / sigma^2) v u^T, the sum in
// double; dy comes in the parts of the split (dyB unused without one).
napi_value SpectralNormalizeGrad(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!ReadArgs(env, info, 8, argv, "spectralNormalizeGrad expects (dy, dyB, w, u, v, sigma, dw, dims)")) return nullptr;
  int64_t rows = 0, cols = 0;
  SplitRows split{};
  if (!GetSpectralDims(env, argv[7], &rows, &cols, &split)) return Throw(env, "spectralNormalizeGrad: dims must be [rows, cols, cin, split]");
  float* f[7];
  size_t len[7];
  if (!GetFloatArgs(env, argv, 7, f, len)) return Throw(env, "spectralNormalizeGrad: operands must be Float32Arrays");
  const size_t n = static_cast<size_t>(rows * cols), first = split.FirstSize(rows, cols);
  if (len[0] != first || (split.split > 0 && len[1] != n - first) || len[2] != n || len[3] != static_cast<size_t>(cols) ||
      len[4] != static_cast<size_t>(rows) || len[5] != 1 || len[6] != n) {
    return Throw(env, "spectralNormalizeGrad: operand sizes do not match the dimensions");
  }
  const float *w = f[2], *u = f[3], *v = f[4];
  const float sigma = f[5][0];
  float* dw = f[6];
  auto dy_row = [&](int64_t r) {
    const auto [second, row] = split.Of(r);
    return (second ? f[1] : f[0]) + row * cols;
  };
  const int tasks = RowTasks(rows, cols);
  double dot = 0;
  SumTaskPartials(tasks, 1, &dot, [&](int task, double* part) {
    double acc = 0;
    for (int64_t r = rows * task / tasks; r < rows * (task + 1) / tasks; r++) {
      const float* dr = dy_row(r);
      const float* wr = w + r * cols;
      float row = 0;
      for (int64_t j = 0; j < cols; j++) row += dr[j] * wr[j];
      acc += row;
    }
    part[0] += acc;
  });
  const float coef = static_cast<float>(dot / (static_cast<double>(sigma) * sigma));
  const float inv = 1.0f / sigma;
  ForRowBlocks(rows, cols, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) {
      const float vr = coef * v[r];
      const float* dr = dy_row(r);
      float* o = dw + r * cols;
      for (int64_t j = 0; j < cols; j++) o[j] = dr[j] * inv - vr * u[j];
    }
  });
  return nullptr;
}

// gruCell(gi, gh, h, out, [n, hidden]): one PyTorch GRU step from its input and hidden gate
// pre-activations gi, gh (n, 3H, gate order r, z, n) and the state h (n, H):
// r = s(gi_r + gh_r), z = s(gi_z + gh_z), c = tanh(gi_n + r gh_n), out = c + z (h - c).
// gruCellGrad(dOut, gi, gh, h, dgi, dgh, dh, dims): its gradients, recomputing the gates.
struct GruGates {
  float r, z, c;
};

inline GruGates GruStep(const float* gi, const float* gh, int64_t hidden, int64_t j) {
  const float r = 1.0f / (1.0f + std::exp(-(gi[j] + gh[j])));
  const float z = 1.0f / (1.0f + std::exp(-(gi[hidden + j] + gh[hidden + j])));
  const float c = std::tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
  return GruGates{r, z, c};
}

bool ReadGruDims(napi_env env, napi_value value, int64_t* n, int64_t* hidden) {
  int64_t d[2];
  if (!GetInts(env, value, d, 2)) return false;
  *n = d[0];
  *hidden = d[1];
  return d[0] >= 0 && d[1] > 0;
}

napi_value GruCell(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!ReadArgs(env, info, 5, argv, "gruCell expects (gi, gh, h, out, dims)")) return nullptr;
  int64_t n = 0, hidden = 0;
  if (!ReadGruDims(env, argv[4], &n, &hidden)) return Throw(env, "gruCell: dims must be [n, hidden]");
  float* f[4];
  size_t len[4];
  if (!GetFloatArgs(env, argv, 4, f, len)) return Throw(env, "gruCell: operands must be Float32Arrays");
  const size_t gates = static_cast<size_t>(n * 3 * hidden), state = static_cast<size_t>(n * hidden);
  if (len[0] != gates || len[1] != gates || len[2] != state || len[3] != state) return Throw(env, "gruCell: operand sizes do not match the dimensions");
  for (int64_t b = 0; b < n; b++) {
    const float* gi = f[0] + b * 3 * hidden;
    const float* gh = f[1] + b * 3 * hidden;
    const float* h = f[2] + b * hidden;
    float* out = f[3] + b * hidden;
    for (int64_t j = 0; j < hidden; j++) {
      const GruGates g = GruStep(gi, gh, hidden, j);
      out[j] = (h[j] - g.c) * g.z + g.c;
    }
  }
  return nullptr;
}

napi_value GruCellGrad(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!ReadArgs(env, info, 8, argv, "gruCellGrad expects (dOut, gi, gh, h, dgi, dgh, dh, dims)")) return nullptr;
  int64_t n = 0, hidden = 0;
  if (!ReadGruDims(env, argv[7], &n, &hidden)) return Throw(env, "gruCellGrad: dims must be [n, hidden]");
  float* f[7];
  size_t len[7];
  if (!GetFloatArgs(env, argv, 7, f, len)) return Throw(env, "gruCellGrad: operands must be Float32Arrays");
  const size_t gates = static_cast<size_t>(n * 3 * hidden), state = static_cast<size_t>(n * hidden);
  const size_t expect[7] = {state, gates, gates, state, gates, gates, state};
  for (int i = 0; i < 7; i++) {
    if (len[i] != expect[i]) return Throw(env, "gruCellGrad: operand sizes do not match the dimensions");
  }
  for (int64_t b = 0; b < n; b++) {
    const float* d = f[0] + b * hidden;
    const float* gi = f[1] + b * 3 * hidden;
    const float* gh = f[2] + b * 3 * hidden;
    const float* h = f[3] + b * hidden;
    float* dgi = f[4] + b * 3 * hidden;
    float* dgh = f[5] + b * 3 * hidden;
    float* dh = f[6] + b * hidden;
    for (int64_t j = 0; j < hidden; j++) {
      const GruGates g = GruStep(gi, gh, hidden, j);
      // out = (h - c) z + c: d/dh = z, d/dz = h - c, d/dc = 1 - z.
      const float dc = d[j] * (1.0f - g.z) * (1.0f - g.c * g.c);
      const float dz = d[j] * (h[j] - g.c) * g.z * (1.0f - g.z);
      const float dr = dc * gh[2 * hidden + j] * g.r * (1.0f - g.r);
      dh[j] = d[j] * g.z;
      dgi[j] = dr;
      dgh[j] = dr;
      dgi[hidden + j] = dz;
      dgh[hidden + j] = dz;
      dgi[2 * hidden + j] = dc;
      dgh[2 * hidden + j] = dc * g.r;
    }
  }
  return nullptr;
}

// dynamicFilter(signal, filter, out, [n, c, l, k]): per sample, the C-channel signal (c, l)
// cross-correlated with its own C -> 1 kernel (c, k), zero padding k / 2:
// out[n, p] = sum_c sum_t signal[n, c, p + t - k/2] filter[n, c, t] (Text2Gist's filter).
// dynamicFilterGrad(dout, signal, filter, dSignal, dFilter, dims): both gradients.
bool DynamicFilterDims(napi_env env, napi_value dims, int64_t* d) {
  if (!GetInts(env, dims, d, 4)) return false;
  return d[0] >= 0 && d[1] > 0 && d[2] > 0 && d[3] > 0 && (d[3] & 1) == 1;
}

napi_value DynamicFilter(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!ReadArgs(env, info, 4, argv, "dynamicFilter expects (signal, filter, out, dims)")) return nullptr;
  int64_t d[4];
  if (!DynamicFilterDims(env, argv[3], d)) return Throw(env, "dynamicFilter: dims must be [n, c, l, k] with k odd");
  float* f[3];
  size_t len[3];
  if (!GetFloatArgs(env, argv, 3, f, len)) return Throw(env, "dynamicFilter: operands must be Float32Arrays");
  const int64_t n = d[0], c = d[1], l = d[2], k = d[3], pad = d[3] / 2;
  if (len[0] != static_cast<size_t>(n * c * l) || len[1] != static_cast<size_t>(n * c * k) || len[2] != static_cast<size_t>(n * l)) {
    return Throw(env, "dynamicFilter: operand sizes do not match the dimensions");
  }
  const float *sig = f[0], *fil = f[1];
  float* out = f[2];
  for (int64_t s = 0; s < n; s++) {
    for (int64_t p = 0; p < l; p++) {
      float acc = 0;
      for (int64_t ch = 0; ch < c; ch++) {
        const float* sr = sig + (s * c + ch) * l;
        const float* fr = fil + (s * c + ch) * k;
        for (int64_t t = std::max<int64_t>(0, pad - p); t < std::min<int64_t>(k, l + pad - p); t++) acc += sr[p + t - pad] * fr[t];
      }
      out[s * l + p] = acc;
    }
  }
  return nullptr;
}

napi_value DynamicFilterGrad(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!ReadArgs(env, info, 6, argv, "dynamicFilterGrad expects (dout, signal, filter, dSignal, dFilter, dims)")) return nullptr;
  int64_t d[4];
  if (!DynamicFilterDims(env, argv[5], d)) return Throw(env, "dynamicFilterGrad: dims must be [n, c, l, k] with k odd");
  float* f[5];
  size_t len[5];
  if (!GetFloatArgs(env, argv, 5, f, len)) return Throw(env, "dynamicFilterGrad: operands must be Float32Arrays");
  const int64_t n = d[0], c = d[1], l = d[2], k = d[3], pad = d[3] / 2;
  if (len[0] != static_cast<size_t>(n * l) || len[1] != static_cast<size_t>(n * c * l) || len[2] != static_cast<size_t>(n * c * k) ||
      len[3] != len[1] || len[4] != len[2]) {
    return Throw(env, "dynamicFilterGrad: operand sizes do not match the dimensions");
  }
  const float *dout = f[0], *sig = f[1], *fil = f[2];
  float *dsig = f[3], *dfil = f[4];
  for (int64_t s = 0; s < n; s++) {
    const float* g = dout + s * l;
    for (int64_t ch = 0; ch < c; ch++) {
      const float* sr = sig + (s * c + ch) * l;
      const float* fr = fil + (s * c + ch) * k;
      float* ds = dsig + (s * c + ch) * l;
      float* df = dfil + (s * c + ch) * k;
      // dSignal[q] = sum_t dout[q - t + pad] filter[t]; dFilter[t] = sum_p dout[p] signal[p + t - pad].
      for (int64_t q = 0; q < l; q++) {
        float acc = 0;
        for (int64_t t = std::max<int64_t>(0, q + pad - (l - 1)); t < std::min<int64_t>(k, q + pad + 1); t++) acc += g[q - t + pad] * fr[t];
        ds[q] = acc;
      }
      for (int64_t t = 0; t < k; t++) {
        float acc = 0;
        for (int64_t p = std::max<int64_t>(0, pad - t); p < std::min<int64_t>(l, l + pad - t); p++) acc += g[p] * sr[p + t - pad];
        df[t] = acc;
      }
    }
  }
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, threads, simd;
  napi_create_object(env, &obj);
  napi_create_int32(env, g_pool->threads(), &threads);
  napi_create_string_utf8(env, g_avx2 ? "avx2+fma" : "generic", NAPI_AUTO_LENGTH, &simd);
  napi_set_named_property(env, obj, "threads", threads);
  napi_set_named_property(env, obj, "simd", simd);
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
#ifdef CPCSV_X86_AVX2
  __builtin_cpu_init();
  g_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && std::getenv("CPCSV_NATIVE_GENERIC") == nullptr;
#endif
  g_no_direct = std::getenv("CPCSV_NATIVE_NO_DIRECT") != nullptr;
  g_no_planar = std::getenv("CPCSV_NATIVE_NO_PLANAR") != nullptr;
  g_no_polyphase = std::getenv("CPCSV_NATIVE_NO_POLYPHASE") != nullptr;
  // One pool per process (worker threads share it); it lives until the process exits.
  static std::once_flag once;
  std::call_once(once, [] { g_pool = new Pool(DefaultThreads()); });
  napi_property_descriptor props[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchnorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchnormGrad", nullptr, BatchNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"resizeNearest", nullptr, ResizeNearest, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"leakyReluGrad", nullptr, LeakyReluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spectralPower", nullptr, SpectralPower, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spectralNormalize", nullptr, SpectralNormalize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"spectralNormalizeGrad", nullptr, SpectralNormalizeGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanh", nullptr, Tanh, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tanhGrad", nullptr, TanhGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruCell", nullptr, GruCell, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruCellGrad", nullptr, GruCellGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dynamicFilter", nullptr, DynamicFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dynamicFilterGrad", nullptr, DynamicFilterGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
