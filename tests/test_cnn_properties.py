"""Random small CNNs x convolution options (stride, padding, dilation, groups) x pooling x activations x criteria x curvatures
x solvers: each case is refused at construction, or its step equals the dense float64 reference (`eacg_nb.reference`), which
reads the convolutions off autograd and restricts a grouped layer's dense matrices to the weights it has."""
import collections
import copy
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from torch import nn

from eacg_nb import EACG, PAPER, NonConvexLoss
from eacg_nb.network import fcnn_layers
from eacg_nb.reference import dense_reference_step

ACTIVATIONS = [nn.Sigmoid, nn.Tanh, nn.ReLU, nn.SiLU, nn.Softplus]
POOLS = [lambda: None, lambda: nn.MaxPool2d(2), lambda: nn.MaxPool2d(2, padding=1), lambda: nn.AvgPool2d(2),
         lambda: nn.AvgPool2d(2, padding=1), lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False), lambda: nn.AdaptiveAvgPool2d(2)]
CURVATURES = ['pch1', 'pch2', 'gn', 'fisher']
SOLVERS = ['eacg', 'cg', 'direct', 'kfi', 'kfi_sm', 'kfi_expand']
COUNTS = collections.Counter()


@st.composite
def cases(draw):
    channels = draw(st.sampled_from([1, 2, 4]))
    convs = []
    for _ in range(draw(st.integers(1, 2))):
        out = draw(st.sampled_from([2, 4, 6]))
        divisors = [g for g in (1, 2, 4, 6) if channels % g == 0 and out % g == 0]
        convs.append(dict(n_in=channels, n_out=out, groups=draw(st.sampled_from(divisors)), kernel=draw(st.integers(1, 3)),
                          stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1)), dilation=draw(st.integers(1, 2)),
                          pool=draw(st.integers(0, len(POOLS) - 1))))
        channels = out
    return dict(convs=convs, side=draw(st.integers(5, 8)), act=draw(st.integers(0, len(ACTIVATIONS) - 1)),
                nonconvex=draw(st.booleans()), curvature=draw(st.sampled_from(CURVATURES)), solver=draw(st.sampled_from(SOLVERS)),
                damping=draw(st.floats(.05, .5)), batch=draw(st.integers(2, 9)), seed=draw(st.integers(0, 2 ** 16)))


def build(c):
    "The model, criterion and batch of case `c`; None where the convolutions leave no position for the next one."
    torch.manual_seed(c['seed'])
    mods, shape = [], (c['convs'][0]['n_in'], c['side'], c['side'])
    for conv in c['convs']:
        mods += [nn.Conv2d(conv['n_in'], conv['n_out'], conv['kernel'], conv['stride'], conv['padding'], conv['dilation'], conv['groups']),
                 ACTIVATIONS[c['act']]()]
        if (pool := POOLS[conv['pool']]()) is not None: mods.append(pool)
    body = nn.Sequential(*mods).double()
    try:
        with torch.no_grad(): n_flat = body(torch.zeros(1, *shape, dtype=torch.float64)).numel()
    except RuntimeError: return None  # an output smaller than a kernel or a pooling window
    model = nn.Sequential(*body, nn.Flatten(), nn.Linear(n_flat, 3)).double()
    if any(l.linear.weight.numel() > 4096 for l in fcnn_layers(model)): return None
    for p in model.parameters(): nn.init.normal_(p, std=.5)
    g = torch.Generator().manual_seed(c['seed'])
    x, y = torch.randn(c['batch'], *shape, generator=g, dtype=torch.float64), torch.randint(0, 3, (c['batch'],), generator=g)
    return model, (NonConvexLoss() if c['nonconvex'] else nn.CrossEntropyLoss()), x, y


@settings(max_examples=120, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
def test_cnn_step_is_exact_or_refused(c):
    built = build(c)
    if built is None:
        COUNTS['no such network'] += 1
        return
    model, crit, x, y = built
    options = dict(lr=.3, damping=c['damping'], curvature=c['curvature'], solver=c['solver'])
    try: opt = EACG(model, crit, **PAPER | options | dict(max_cg=500, eps_cg=1e-13))
    except ValueError:  # Gauss-Newton with Eq. (14), kfi_expand without the Fisher curvature, average pooling that counts its padding
        COUNTS['refused'] += 1
        return
    start = copy.deepcopy(model)
    opt.zero_grad(); opt.criterion(model(x), y).backward(); opt.step(); opt.close()
    want = dense_reference_step(start, crit, x, y, **options)
    for l, (W, b) in zip(fcnn_layers(model), want):
        for p, ref in [(l.linear.weight, W), (l.linear.bias, b)]:
            assert (p.detach() - ref).norm() <= 1e-8 * ref.norm(), (str(c), (p.detach() - ref).norm().item())
    COUNTS['accepted'] += 1
    COUNTS['grouped'] += any(conv['groups'] > 1 for conv in c['convs'])


def test_counts():
    "Accepted cases, grouped ones among them, and refused ones all occur (run with -s to see the counts)."
    if not COUNTS: pytest.skip('counts the cases of test_cnn_step_is_exact_or_refused, which did not run')
    print(f"\nCNN property cases: {COUNTS['accepted']} accepted and exact ({COUNTS['grouped']} with a grouped convolution), "
          f"{COUNTS['refused']} refused at construction, {COUNTS['no such network']} without a network")
    assert COUNTS['accepted'] > 40 and COUNTS['grouped'] > 15 and COUNTS['refused'] > 10
