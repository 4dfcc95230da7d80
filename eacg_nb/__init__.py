__version__ = "0.1.0"

from .network import ACTIVATIONS, fcnn_layers, mlp, register_activation
from .criteria import NonConvexLoss, output_derivatives
from .hessian import exact_bias_hessian, exact_weight_hessian
from .expectation import batch_statistics
from .pch import CURVATURES, bias_curvature, pos_eig
from .solvers import block_cg
from .optim import EACG, NonFiniteError, OPTIMIZER_CURVATURES, SOLVERS, register_solver
from .baselines import PAPER_METHODS, make_optimizer, method_names
from .data import DATASETS, dataloaders, load_dataset
from .training import fit, plot_histories
