"""Random FCNNs x activations x criteria x curvatures x solvers: each case is refused at construction, or its step equals
the dense float64 reference (`eacg_nb.reference`); `step()` raises nothing but `NonFiniteError`, and then changes nothing.
Half the cases take the step with `curvature_every=2` after a first step on another batch, whose curvature it reuses."""
import collections
import copy

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from torch import nn

from eacg_nb import EACG, PAPER, NonConvexLoss, NonFiniteError
from eacg_nb.reference import dense_reference_step

ACTIVATIONS = [nn.Sigmoid, nn.Tanh, nn.ReLU, lambda: nn.LeakyReLU(.2), nn.ReLU6, lambda: nn.Hardtanh(-2., 1.5), nn.Hardsigmoid,
               nn.Hardswish, nn.SiLU, nn.Mish, nn.GELU, lambda: nn.GELU(approximate='tanh'), nn.ELU, nn.SELU, lambda: nn.CELU(.7),
               lambda: nn.Softplus(beta=2., threshold=3.), nn.Softsign, nn.LogSigmoid, nn.Tanhshrink, nn.Identity]

def labels(B, n, g): return torch.randint(0, n, (B,), generator=g)
def reals(B, n, g): return torch.randn(B, n, generator=g)
def unit(B, n, g): return torch.rand(B, n, generator=g)
def rows(B, n, g): return torch.rand(B, n, generator=g).softmax(-1)
def quartic(h, target): return ((h - target) ** 4).mean() / 4 + (h.sin() * target).mean()

CRITERIA = [  # (criterion, targets, refused at construction)
    (nn.CrossEntropyLoss, labels, False), (lambda: nn.CrossEntropyLoss(label_smoothing=.1), labels, False),
    (nn.CrossEntropyLoss, rows, False), (nn.NLLLoss, labels, False), (nn.MSELoss, reals, False), (nn.L1Loss, reals, False),
    (nn.SmoothL1Loss, reals, False), (lambda: nn.HuberLoss(delta=.5), reals, False), (nn.BCEWithLogitsLoss, unit, False),
    (lambda: nn.KLDivLoss(reduction='batchmean'), rows, False), (NonConvexLoss, labels, False), (lambda: quartic, reals, False),
    (lambda: nn.CrossEntropyLoss(weight=torch.rand(9) + .5), labels, True), (lambda: nn.MSELoss(reduction='sum'), reals, True),
    (lambda: nn.KLDivLoss(reduction='sum'), rows, True),
]
CURVATURES = [('pch1', None), ('pch2', None), ('pch', -.4), ('gn', None), ('fisher', None)]
SOLVERS = ['eacg', 'cg', 'direct', 'kfi', 'kfi_sm']
COUNTS = collections.Counter()
LR = 1e4


@st.composite
def cases(draw):
    depth = draw(st.integers(1, 5))
    return dict(widths=draw(st.lists(st.integers(1, 9), min_size=depth + 1, max_size=depth + 1)),
                bias=draw(st.lists(st.booleans(), min_size=depth, max_size=depth)),
                act=draw(st.integers(0, len(ACTIVATIONS) - 1)), criterion=draw(st.integers(0, len(CRITERIA) - 1)),
                curvature=draw(st.sampled_from(CURVATURES)), solver=draw(st.sampled_from(SOLVERS)),
                dtype=draw(st.sampled_from([torch.float32, torch.float64])), damping=draw(st.floats(.05, .5)),
                batch=draw(st.integers(1, 12)), seed=draw(st.integers(0, 2 ** 16)), nan=draw(st.integers(0, 9)) == 0,
                reuse=draw(st.booleans()))


def build(c):
    "The model, criterion and batch of case `c`."
    g = torch.Generator().manual_seed(c['seed'])
    torch.manual_seed(c['seed'])
    mods, k = [], len(c['bias'])
    for t, (n_in, n_out, bias) in enumerate(zip(c['widths'], c['widths'][1:], c['bias'])):
        mods.append(nn.Linear(n_in, n_out, bias=bias))
        if t < k - 1: mods.append(ACTIVATIONS[c['act']]())
    model = nn.Sequential(*mods).to(c['dtype'])
    make_crit, make_target, refused = CRITERIA[c['criterion']]
    crit = make_crit()
    if isinstance(crit, nn.CrossEntropyLoss) and crit.weight is not None: crit.weight = crit.weight[:c['widths'][-1]]
    x = torch.randn(c['batch'], c['widths'][0], generator=g).to(c['dtype'])
    y = make_target(c['batch'], c['widths'][-1], g)
    return model, crit, x, (y.to(c['dtype']) if y.dtype.is_floating_point else y), refused


@settings(max_examples=600, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_step_is_exact_or_refused(c):
    if c['dtype'] == torch.float32 and ACTIVATIONS[c['act']] is nn.Tanhshrink:
        c = {**c, 'dtype': torch.float64}  # PyTorch's float32 Tanhshrink, z - tanh z, cancels for small z: no step can be exact from it
    model, crit, x, y, refused = build(c)
    curvature, gamma = c['curvature']
    f64 = c['dtype'] == torch.float64
    # a large learning rate, so that the update dominates the parameter: a float32 parameter rounds a small update by itself
    try: opt = EACG(model, crit, **PAPER | dict(lr=LR, damping=c['damping'], curvature=curvature, solver=c['solver'], gamma=gamma,
                    max_cg=300, eps_cg=1e-12 if f64 else 1e-7, curvature_every=2 if c['reuse'] else 1, reuse_cap=False,
                    max_update_norm=None))  # the paper's step, unbounded: Eq. (9)-(11) itself
    except (ValueError, TypeError):
        COUNTS['refused'] += 1
        return
    assert not refused, f'{crit} should have been refused'
    then = None
    if c['reuse']:  # a small first step on other samples: the step under test reuses its curvature
        then = (copy.deepcopy(model), x.flip(0) + .5, y.flip(0))
        opt.param_groups[0]['lr'] = 1e-2
        opt.zero_grad(); opt.criterion(model(then[1]), then[2]).backward(); opt.step()
        opt.param_groups[0]['lr'] = LR
    start = copy.deepcopy(model)
    before = [p.detach().clone() for p in model.parameters()]
    if c['nan']: x = x.clone(); x[0, 0] = float('nan')
    opt.zero_grad()
    opt.criterion(model(x), y).backward()
    try: opt.step()
    except NonFiniteError as e:
        assert c['nan'], (str(c), str(e))
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), 'a refused step changed a parameter'
        COUNTS['non-finite'] += 1
        return
    finally: opt.close()
    assert not c['nan'], 'a NaN input was not refused'
    want = dense_reference_step(start, crit, x, y, curvature, c['solver'], lr=LR, damping=c['damping'], gamma=gamma, curvature_from=then,
                                max_update_norm=None)
    tol = 1e-8 if f64 else 1e-4
    layers = [m for m in model if isinstance(m, nn.Linear)]
    old = iter(before)
    for l, (W, b) in zip(layers, want):
        for p, new in [(l.weight, W), (l.bias, b)]:
            if p is None: continue
            p0 = next(old).double()
            got, ref = p.detach().double() - p0, new - p0
            rounding = 2 * torch.finfo(c['dtype']).eps * p.detach().double().norm()  # what the parameter itself can hold
            assert (got - ref).norm() <= tol * ref.norm() + rounding, (str(c), (got - ref).norm().item(), ref.norm().item())
    COUNTS['accepted'] += 1
    COUNTS['accepted, reusing'] += c['reuse']


def test_counts():
    "Both outcomes occur (run with -s to see the counts)."
    if not COUNTS: pytest.skip('counts the cases of test_step_is_exact_or_refused, which did not run')
    print(f'\nproperty cases: {COUNTS["accepted"] + COUNTS["refused"] + COUNTS["non-finite"]} run, {COUNTS["accepted"]} accepted and exact '
          f'({COUNTS["accepted, reusing"]} of them reusing the curvature of a first step), {COUNTS["refused"]} refused at construction, '
          f'{COUNTS["non-finite"]} refused as non-finite')
    assert COUNTS['accepted, reusing'] > 50 and COUNTS['accepted'] > 100 and COUNTS['refused'] > 10 and COUNTS['non-finite'] > 5
