__version__ = "0.1.0"

# Every function and class that a chapter documents is importable from the package itself, in the chapters' order
# (the baselines register the KFI solvers with the optimizer when they are imported).
from .network import *
from .backprop import *
from .criteria import *
from .hessian import *
from .expectation import *
from .capture import *
from .pch import *
from .solvers import *
from .along import *
from .optim import *
from .baselines import *
from .complexity import *
from .data import *
from .training import *
from .cli import *
from .experiments import *
from .hessian_errors import *
from .distributed import *
from .reference import *
from .sweep import *
from .conv import *
