"""Speed of cnnbook's fast path against its readable reference and against PyTorch.

    make bench                                   (or: python benchmarks/bench.py)
    python benchmarks/bench.py --repeats 11 --threads 1 --only pool

Every case times one forward + backward pass (for the training step: forward, loss,
backward and the optimiser's update) of each implementation. The implementations
take turns within each repeat (interleaved, in a rotating order), so a machine that
gets busier or quieter during the run affects them alike; each printed time is the
median, min and max over the repeats of the mean of a few back-to-back calls.
Ratios are ratios of medians from this same run. torch is optional: without it the
torch columns are skipped. The readable reference (``cnnbook.reference``, Python
loops) is far slower, so it runs on a smaller batch and its time is scaled to the
full batch (its loops are linear in N); the output says so.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7,
                        help="timed repeats per implementation (≥ 5; default 7)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and for torch (default: every usable core)")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this text")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the slow reference column")
    parser.add_argument("--target-seconds", type=float, default=0.03,
                        help="aim for this much time per timed sample (default 0.03 s)")
    parser.add_argument("--settle", type=float, default=0.15,
                        help="pause before each sample, so that the previous implementation's "
                             "idle threads (which spin for a while) stop competing (default 0.15 s)")
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error("--repeats must be at least 5 (the medians need them)")
    return args


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


ARGS = _parse_args()
THREADS = ARGS.threads or _usable_cores()
# The BLAS reads these when numpy is first imported, so they are set before that.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import numpy as np  # noqa: E402

import cnnbook as cb  # noqa: E402

try:
    import torch
except ImportError:
    torch = None
try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None


# --- the machine ---------------------------------------------------------------------

def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _thread_pools():
    """The BLAS and OpenMP libraries loaded (numpy's, torch's) and their thread counts.

    From threadpoolctl when it is installed (scikit-learn brings it), else numpy's
    build information, which cannot tell the thread count actually in use.
    """
    if threadpoolctl is not None:
        lines = []
        for pool in threadpoolctl.threadpool_info():
            if pool.get("user_api") not in ("blas", "openmp"):
                continue
            path = pool.get("filepath", "")
            owner = "torch" if f"{os.sep}torch{os.sep}" in path else "numpy" if "numpy" in path else "?"
            arch = f", {pool['architecture']}" if pool.get("architecture") else ""
            lines.append(f"{pool.get('internal_api')} {pool.get('version') or ''}{arch} "
                         f"({owner}: {os.path.basename(path)}): {pool.get('num_threads')} threads")
        if lines:
            return lines
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [f"{info.get('name')} {info.get('version')} (numpy's build information; "
                f"threadpoolctl is not installed to read back the thread count)"]
    except Exception as err:  # numpy older than 1.26 has no mode="dicts"
        return [f"numpy's BLAS: unknown ({type(err).__name__})"]


def print_header():
    if torch is not None:
        torch.set_num_threads(THREADS)
    print("cnnbook benchmark: forward + backward, times in ms: median [min – max] over the repeats")
    print(f"  CPU      {_cpu_model()}, {os.cpu_count()} logical cores, {_usable_cores()} usable")
    print(f"  system   {platform.system()} {platform.release()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, cnnbook {cb.__version__}"
          + (f", torch {torch.__version__}" if torch is not None else ""))
    for i, line in enumerate(_thread_pools()):
        print(f"  {'BLAS/OMP' if i == 0 else '':8s} {line}")
    torch_threads = f"torch {torch.get_num_threads()} (torch.set_num_threads)" if torch is not None else ""
    print(f"  threads  {THREADS} requested: numpy's BLAS {THREADS} (OPENBLAS/OMP/MKL_NUM_THREADS)"
          + (f", {torch_threads}" if torch_threads else "")
          + "; numpy's own elementwise loops always use one")
    if torch is None:
        print("  torch    not installed: the torch columns are skipped")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        print(f"  load     {load:.2f} (1-minute load average at the start; other programs on "
              f"these {_usable_cores()} cores slow every column, torch's threads most)")
        if load > 0.5 * _usable_cores():
            print("  WARNING  the machine is busy: the times, and the ratios to torch, are unreliable")
    print(f"  repeats  {ARGS.repeats} per implementation, interleaved (the reference: 5), "
          f"{ARGS.settle} s pause before each")
    print()


# --- timing ----------------------------------------------------------------------------

class Impl:
    """One column: ``run()`` does one forward + backward; ``scale`` multiplies its time
    (the reference runs on a smaller batch); ``note`` says so."""

    def __init__(self, name, run, scale=1.0, note="", repeats=None):
        self.name, self.run, self.scale, self.note = name, run, scale, note
        self.repeats = repeats
        self.samples = []
        self.number = 1

    def calibrate(self, target):
        """Warm up, then choose how many back-to-back calls make one sample of ≈ ``target`` s."""
        self.run()
        t0 = time.perf_counter()
        self.run()
        once = time.perf_counter() - t0
        self.number = max(1, min(1000, int(target / max(once, 1e-9))))

    def sample(self):
        t0 = time.perf_counter()
        for _ in range(self.number):
            self.run()
        self.samples.append((time.perf_counter() - t0) / self.number * self.scale * 1e3)

    @property
    def median(self):
        return statistics.median(self.samples)


def measure(impls, repeats, target, settle):
    """Interleaved: every repeat times each implementation once, in a rotating order.

    Before each sample, a pause of ``settle`` seconds: after a call, OpenBLAS's worker
    threads spin for about 2^28 cycles (0.1 s) and OpenMP's for a while too, taking a
    core from the next implementation; torch, whose threads wait for each other at
    every step, measured up to 5× slower right after numpy's BLAS without the pause.
    """
    for impl in impls:
        impl.calibrate(target)
    for r in range(repeats):
        order = impls[r % len(impls):] + impls[:r % len(impls)]  # rotate who goes first
        for impl in order:
            if impl.repeats is None or len(impl.samples) < impl.repeats:
                time.sleep(settle)
                impl.sample()


# --- the cases ---------------------------------------------------------------------------

def _torch_pair(arrays, dtype):
    """torch tensors of ``arrays`` in ``dtype``; the first ones require grad."""
    return [torch.tensor(a, dtype=dtype) for a in arrays]


def _layer_impls(fast, ref, N, ref_n, arrays, torch_forward):
    """cnnbook's fast function, its reference loops (run on ref_n images, time scaled to N) and,
    when torch is installed, ``torch_forward(x, w, b)`` with its autograd backward in f64
    and f32: the rows every layer case compares."""
    impls = [Impl("cnnbook", fast)]
    if not ARGS.no_reference:
        impls.append(Impl("reference", ref, scale=N / ref_n, repeats=5,
                          note=f"loops; run on N={ref_n}, time ×{N // ref_n}"))
    if torch is not None:
        for dtype, name in ((torch.float64, "torch f64"), (torch.float32, "torch f32")):
            tx, tw, tb, td = _torch_pair(arrays, dtype)
            for t in (tx, tw, tb):
                t.requires_grad_(True)

            def run(tx=tx, tw=tw, tb=tb, td=td):
                torch.autograd.grad(torch_forward(tx, tw, tb), (tx, tw, tb), td)

            impls.append(Impl(name, run))
    return impls


def conv_case(rng, N, C, H, F, K, stride=1, padding=0, ref_n=2, dilation=1):
    x, w, b = rng.normal(size=(N, C, H, H)), rng.normal(size=(F, C, K, K)), rng.normal(size=F)
    dout = rng.normal(size=cb.conv2d(x, w, b, stride, padding, dilation).shape)

    def fast():
        cb.conv2d(x, w, b, stride, padding, dilation)
        cb.conv2d_backward(dout, x, w, stride, padding, dilation)

    xr, dr = x[:ref_n], dout[:ref_n]

    def ref():
        cb.conv2d_reference(xr, w, b, stride, padding, dilation)
        cb.conv2d_backward_reference(dr, xr, w, stride, padding, dilation)

    return _layer_impls(fast, ref, N, ref_n, (x, w, b, dout), lambda tx, tw, tb:
                        torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation))


def conv_transpose_case(rng, N, C_in, H, C_out, K, stride=1, padding=0, output_padding=0, ref_n=2):
    x, w, b = rng.normal(size=(N, C_in, H, H)), rng.normal(size=(C_in, C_out, K, K)), rng.normal(size=C_out)
    args = (stride, padding, output_padding)
    dout = rng.normal(size=cb.conv_transpose2d(x, w, b, *args).shape)

    def fast():
        cb.conv_transpose2d(x, w, b, *args)
        cb.conv_transpose2d_backward(dout, x, w, *args)

    xr, dr = x[:ref_n], dout[:ref_n]

    def ref():
        cb.conv_transpose2d_reference(xr, w, b, *args)
        cb.conv_transpose2d_backward_reference(dr, xr, w, *args)

    return _layer_impls(fast, ref, N, ref_n, (x, w, b, dout), lambda tx, tw, tb:
                        torch.nn.functional.conv_transpose2d(tx, tw, tb, *args))


def pool_case(rng, kind, N, C, H, K, stride, ref_n=2, relu=False):
    x = rng.normal(size=(N, C, H, H))
    if relu:  # as in a network: about half the inputs are 0, so most windows hold ties
        x = np.maximum(x, 0.0)
    if kind == "max":
        f, fb = cb.max_pool2d, cb.max_pool2d_backward
    else:
        f, fb = cb.avg_pool2d, cb.avg_pool2d_backward
    rf, rb = ((cb.max_pool2d_reference, cb.max_pool2d_backward_reference) if kind == "max"
              else (cb.avg_pool2d_reference, cb.avg_pool2d_backward_reference))
    dout = rng.normal(size=f(x, K, stride).shape)

    def fast():
        f(x, K, stride)
        fb(dout, x, K, stride)

    xr, dr = x[:ref_n], dout[:ref_n]

    def ref():
        rf(xr, K, stride)
        rb(dr, xr, K, stride)

    impls = [Impl("cnnbook", fast)]
    if not ARGS.no_reference:
        impls.append(Impl("reference", ref, scale=N / ref_n, repeats=5,
                          note=f"loops; run on N={ref_n}, time ×{N // ref_n}"))
    if torch is not None:
        tf = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
        for dtype, name in ((torch.float64, "torch f64"), (torch.float32, "torch f32")):
            tx, td = _torch_pair((x, dout), dtype)
            tx.requires_grad_(True)

            def run(tx=tx, td=td):
                torch.autograd.grad(tf(tx, K, stride), (tx,), td)

            impls.append(Impl(name, run))
    return impls


def _find_digits_network():
    """``(make_network(seed), batch_size, lr, nn module)`` or a string saying what is missing."""
    try:
        import cnnbook.nn as layers
    except Exception as err:
        return f"cnnbook.nn is not importable ({type(err).__name__}: {err})"
    make = None
    for module_name in ("cnnbook.training",):
        try:
            module = __import__(module_name, fromlist=["digits_network"])
        except Exception:
            continue
        make = getattr(module, "digits_network", None)
        if make is not None:
            break
    if make is None:
        return "no digits_network(seed) in cnnbook.training"
    missing = [n for n in ("CrossEntropyLoss", "Adam", "Conv2d", "Linear") if not hasattr(layers, n)]
    if missing:
        return f"cnnbook.nn lacks {', '.join(missing)}"
    batch, lr = 32, 2e-3
    try:
        from cnnbook.training import DEFAULTS
        batch, lr = DEFAULTS[(8, 8)]["batch_size"], DEFAULTS[(8, 8)]["lr"]
    except Exception:
        pass
    return make, batch, lr, layers


def _torch_copy(model, layers, dtype):
    """The same network in torch (same weights), layer by layer; None for an unknown layer."""
    nn = torch.nn
    out = []
    for layer in model:
        kind = type(layer).__name__
        if kind in ("Conv2d", "Linear"):
            w = layer.weight.data
            if kind == "Conv2d":
                m = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], layer.stride, layer.padding,
                              bias=layer.bias is not None)
            else:
                m = nn.Linear(w.shape[1], w.shape[0], bias=layer.bias is not None)
            with torch.no_grad():
                m.weight.copy_(torch.tensor(w))
                if layer.bias is not None:
                    m.bias.copy_(torch.tensor(layer.bias.data))
            out.append(m)
        elif kind in ("MaxPool2d", "AvgPool2d"):
            pool = nn.MaxPool2d if kind == "MaxPool2d" else nn.AvgPool2d
            out.append(pool(layer.kernel_size, layer.stride, layer.padding))
        elif kind in ("ReLU", "Sigmoid", "Tanh", "Flatten"):
            out.append(getattr(nn, kind)())
        else:
            return None
    return nn.Sequential(*out).to(dtype)


def _reference_forward(layer, a):
    """The layer's forward pass with the reference twin, or None if it has none."""
    kind = type(layer).__name__
    if kind == "Conv2d":
        return cb.conv2d_reference(a, layer.weight.data, None if layer.bias is None else layer.bias.data,
                                   layer.stride, layer.padding)
    if kind in ("MaxPool2d", "AvgPool2d"):
        f = cb.max_pool2d_reference if kind == "MaxPool2d" else cb.avg_pool2d_reference
        return f(a, layer.kernel_size, layer.stride, layer.padding)
    return None


def _reference_backward(layer, d, a):
    """The layer's backward pass with the reference twin (gradients added into ``.grad``)."""
    kind = type(layer).__name__
    if kind == "Conv2d":
        dx, dw, db = cb.conv2d_backward_reference(d, a, layer.weight.data, layer.stride, layer.padding)
        layer.weight.grad += dw
        if layer.bias is not None:
            layer.bias.grad += db
        return dx
    f = cb.max_pool2d_backward_reference if kind == "MaxPool2d" else cb.avg_pool2d_backward_reference
    return f(d, a, layer.kernel_size, layer.stride, layer.padding)


def _reference_step(model, loss, optimizer, xb, yb):
    """One training step with the reference twins in the conv and pool layers.

    Walks the layers as ``Sequential`` does, but calls ``conv2d_reference`` /
    ``max_pool2d_reference`` / … (and their backward) where the layer would call the
    fast function; the other layers run as they are.
    """
    optimizer.zero_grad()
    inputs, twin, a = [], [], xb
    for layer in model:
        inputs.append(a)
        out = _reference_forward(layer, a)
        twin.append(out is not None)
        a = layer.forward(a) if out is None else out
    loss.forward(a, yb)
    d = loss.backward()
    for layer, a, has_twin in zip(reversed(list(model)), reversed(inputs), reversed(twin)):
        d = _reference_backward(layer, d, a) if has_twin else layer.backward(d)
    optimizer.step()


def training_case(rng):
    found = _find_digits_network()
    if isinstance(found, str):
        return found
    make, batch, lr, layers = found
    xb = rng.uniform(0.0, 1.0, size=(batch, 1, 8, 8))
    yb = rng.integers(0, 10, size=batch)

    model, loss = make(0), layers.CrossEntropyLoss()
    optimizer = layers.Adam(model.parameters(), lr=lr)

    def fast():
        optimizer.zero_grad()
        loss.forward(model.forward(xb), yb)
        model.backward(loss.backward())
        optimizer.step()

    impls = [Impl("cnnbook", fast)]
    if not ARGS.no_reference:
        r_model, r_loss = make(0), layers.CrossEntropyLoss()
        r_opt = layers.Adam(r_model.parameters(), lr=lr)
        ref_n = 4
        impls.append(Impl("reference", lambda: _reference_step(r_model, r_loss, r_opt, xb[:ref_n], yb[:ref_n]),
                          scale=batch / ref_n, repeats=5,
                          note=f"reference conv/pool; run on N={ref_n}, time ×{batch // ref_n}"))
    if torch is not None:
        for dtype, name in ((torch.float64, "torch f64"), (torch.float32, "torch f32")):
            net = _torch_copy(make(0), layers, dtype)
            if net is None:
                break
            opt = torch.optim.Adam(net.parameters(), lr=lr)
            tx, ty = torch.tensor(xb, dtype=dtype), torch.tensor(yb)
            ce = torch.nn.CrossEntropyLoss()

            def run(net=net, opt=opt, tx=tx, ty=ty, ce=ce):
                opt.zero_grad(set_to_none=True)
                ce(net(tx), ty).backward()
                opt.step()

            impls.append(Impl(name, run))
    return impls, f"training step, digits network (batch {batch}, 1×8×8, Adam)"


def cases(rng):
    """``(name, target ratio to torch f64 or None, builder)``."""
    return [
        ("conv N64 1×28×28 → 6 filters 5×5", 1.3,
         lambda: conv_case(rng, 64, 1, 28, 6, 5, ref_n=4)),
        ("conv N64 16×14×14 → 32 filters 3×3, padding 1", 1.3,
         lambda: conv_case(rng, 64, 16, 14, 32, 3, padding=1, ref_n=1)),
        ("conv N32 3×32×32 → 16 filters 3×3, stride 2, padding 1", 1.5,
         lambda: conv_case(rng, 32, 3, 32, 16, 3, stride=2, padding=1, ref_n=2)),
        ("conv N64 16×14×14 → 16 filters 3×3, dilation 2, padding 2", None,
         lambda: conv_case(rng, 64, 16, 14, 16, 3, padding=2, dilation=2, ref_n=1)),
        ("conv_transpose N64 16×7×7 → 8 channels 4×4, stride 2, padding 1 (7 → 14)", None,
         lambda: conv_transpose_case(rng, 64, 16, 7, 8, 4, stride=2, padding=1, ref_n=1)),
        ("max pool 2×2 stride 2, N64 16×28×28", 2.0,
         lambda: pool_case(rng, "max", 64, 16, 28, 2, 2, ref_n=1)),
        ("max pool 2×2 stride 2, N64 16×28×28, input after ReLU (ties)", 2.0,
         lambda: pool_case(rng, "max", 64, 16, 28, 2, 2, ref_n=1, relu=True)),
        ("avg pool 2×2 stride 2, N64 16×28×28", 2.0,
         lambda: pool_case(rng, "avg", 64, 16, 28, 2, 2, ref_n=1)),
        ("training step, digits network", None, lambda: training_case(rng)),
    ]


def _met(median, best, target):
    """A target counts as met when both ratios, of the medians and of the minima, are within it
    (load that comes and goes can flatter either one)."""
    return (median["cnnbook"] <= target * median["torch f64"]
            and best["cnnbook"] <= target * best["torch f64"])


def _fmt(ms):
    return f"{ms:9.3f}" if ms < 100 else f"{ms:9.1f}"


# --- the widgets ------------------------------------------------------------------------

def _widget_explorers():
    """Every explorer of cnnbook.widgets at its default setting (the digit explorer with an
    untrained digits network: its response does not depend on the weights)."""
    from cnnbook import widgets
    from cnnbook.data import load_digits
    from cnnbook.training import digits_network

    yield "output size", widgets.OutputSizeExplorer()
    yield "footprint", widgets.FootprintExplorer()
    yield "stride", widgets.StrideExplorer()
    yield "depth", widgets.DepthExplorer()
    yield "pooling", widgets.PoolingExplorer()
    yield "digits", widgets.DigitExplorer(digits_network(seed=0), load_digits())


def widget_section(settings=40, seed=0):
    """Each explorer's response to a control change: ``update()`` with a random setting
    across its full slider ranges → state computed and the new picture ready to send
    (the scene, and its JSON, as the comm would send it). Median, 90th percentile and
    maximum over ``settings`` settings; targets: median ≤ 50 ms, p90 ≤ 100 ms."""
    import random

    pick = random.Random(seed)
    print(f"widgets: one control change → new picture ready to send, {settings} random "
          f"settings each (ms)")
    print("| explorer | median | p90 | max | picture (kB) | target (≤ 50 / ≤ 100 ms) |")
    print("|---|---:|---:|---:|---:|---|")
    for name, view in _widget_explorers():
        times, sizes = [], []
        for _ in range(settings):
            values = {}
            for key, spec in view.controls.items():
                if view._is_choice(spec):
                    values[key] = pick.choice(list(spec[0]))
                else:
                    values[key] = pick.randint(spec[0], spec[1])
            merged = {**view.values, **values}
            for key, (lo, hi) in view.limits(merged).items():
                values[key] = min(max(values[key], lo), hi)
            start = time.perf_counter()
            view.update(**values)       # state, scene and the JSON the browser gets
            times.append(1000 * (time.perf_counter() - start))
            sizes.append((len(view.view.scene_json) + len(view.view.routes_json)) / 1000)
        times.sort()
        med, p90, top = statistics.median(times), times[int(0.9 * (len(times) - 1))], times[-1]
        verdict = "met" if med <= 50 and p90 <= 100 else "NOT met"
        print(f"| {name} | {med:.1f} | {p90:.1f} | {top:.1f} | {statistics.median(sizes):.0f} | "
              f"{verdict} |")
    print()


def main():
    print_header()
    rng = np.random.default_rng(0)
    summary = []
    t_start = time.perf_counter()
    for name, target, build in cases(rng):
        if ARGS.only and ARGS.only not in name:
            continue
        built = build()
        if isinstance(built, str):
            print(f"{name}\n  skipped: {built}\n")
            summary.append((name, None, target))
            continue
        if isinstance(built, tuple):
            built, name = built
        measure(built, ARGS.repeats, ARGS.target_seconds, ARGS.settle)
        print(name)
        for impl in built:
            s = impl.samples
            note = f"   ({impl.note})" if impl.note else ""
            print(f"  {impl.name:10s} {_fmt(impl.median)} [{_fmt(min(s)).strip()} – {_fmt(max(s)).strip()}]"
                  f"  ×{impl.number} per sample, {len(s)} samples{note}")
        by = {impl.name: impl.median for impl in built}
        best = {impl.name: min(impl.samples) for impl in built}
        ratios = []
        for other in ("torch f64", "torch f32"):
            if other in by:
                verdict = ""
                if other == "torch f64" and target is not None:
                    verdict = f", target ≤ {target}×: {'met' if _met(by, best, target) else 'NOT met'}"
                ratios.append(f"cnnbook / {other} = {by['cnnbook'] / by[other]:.2f}× "
                              f"(of the minima {best['cnnbook'] / best[other]:.2f}×{verdict})")
        if "reference" in by:
            ratios.append(f"reference / cnnbook = {by['reference'] / by['cnnbook']:.0f}×")
        print("".join(f"  {r}\n" for r in ratios))
        if "torch f64" in best:
            by["min ratio"] = best["cnnbook"] / best["torch f64"]
            by["met"] = target is not None and _met(by, best, target)
        summary.append((name, by, target))

    print("summary: medians in ms; ratio = cnnbook / torch f64 in this run, of the medians "
          "(and of the minima); a target is met when both ratios are within it")
    print("| case | cnnbook | reference | torch f64 | torch f32 | ratio | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, by, target in summary:
        if by is None:
            print(f"| {name} | skipped | | | | | |")
            continue
        cell = lambda k: _fmt(by[k]).strip() if k in by else "–"  # noqa: E731
        ratio = "–"
        if "torch f64" in by:
            ratio = f"{by['cnnbook'] / by['torch f64']:.2f}× ({by['min ratio']:.2f}×)"
        tgt = "–" if target is None else f"≤ {target}×"
        if target is not None and "torch f64" in by:
            tgt += " met" if by["met"] else " not met"
        print(f"| {name} | {cell('cnnbook')} | {cell('reference')} | {cell('torch f64')} | "
              f"{cell('torch f32')} | {ratio} | {tgt} |")
    if not ARGS.only or ARGS.only in "widgets":
        print()
        widget_section()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{time.perf_counter() - t_start:.0f} s; 1-minute load average at the end {load:.2f}")


if __name__ == "__main__":
    sys.exit(main())
