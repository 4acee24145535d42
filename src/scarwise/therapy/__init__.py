"""Therapy: protocols, the remodelling model, its solvers and injection planning.

Every output is a model prediction from an uncalibrated mechanistic model whose parameters are
priors from ``reference/model-parameters.md`` (see ``docs/model.md``); it is not evidence of efficacy.
"""

from scarwise.therapy._model import FIELDS, Grid, RemodellingModel
from scarwise.therapy._params import PARAMETER_SOURCE, PARAMETER_SOURCES, AgentKinetics, ModelParameters
from scarwise.therapy._plan import PLAN_LABEL, InjectionPlan, InjectionSite, ScarPlan, plan_injections, plot_plan
from scarwise.therapy._plots import animate_course, plot_course
from scarwise.therapy._protocols import AgentDose, Device, Product, Protocol, get_protocol, load_protocols
from scarwise.therapy._region import (
    ScarRegion,
    coarsen_region,
    region_from_labels,
    region_from_surface,
    synthetic_region,
)
from scarwise.therapy._simulate import PREDICTION_LABEL, ScarCourse, SimulationResult, simulate_protocol
from scarwise.therapy.solvers import available_backends, get_backend, integrate

__all__ = [
    "FIELDS",
    "PARAMETER_SOURCE",
    "PLAN_LABEL",
    "PARAMETER_SOURCES",
    "PREDICTION_LABEL",
    "AgentDose",
    "AgentKinetics",
    "Device",
    "Grid",
    "InjectionPlan",
    "InjectionSite",
    "ModelParameters",
    "Product",
    "Protocol",
    "RemodellingModel",
    "ScarCourse",
    "ScarPlan",
    "ScarRegion",
    "SimulationResult",
    "animate_course",
    "available_backends",
    "coarsen_region",
    "get_backend",
    "get_protocol",
    "integrate",
    "load_protocols",
    "plan_injections",
    "plot_course",
    "plot_plan",
    "region_from_labels",
    "region_from_surface",
    "simulate_protocol",
    "synthetic_region",
]
