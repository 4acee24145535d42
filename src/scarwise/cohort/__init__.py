"""Virtual cohorts, calibration to evidence and per-patient prediction (model predictions, not evidence).

Patients (:func:`draw_patients`) are simulated with the local reduced form of the therapy model
(:mod:`scarwise.cohort._reduced`), serially or on Dask (:func:`run_cohort`), with results written as
resumable Parquet chunks.
"""

from scarwise.cohort._patients import PARAMETERS, PRIOR_SIGMA, Population, VirtualPatients, draw_patients
from scarwise.cohort._reduced import ProtocolDose, pixel_levels, profile_levels, protocol_dose, remaining_depth
from scarwise.cohort._runners import ENV_SCHEDULER, CohortRun, dask_client, read_cohort, run_cohort
from scarwise.cohort._simulate import months_to_days, patient_improvement, scar_volumes, simulate_block

__all__ = [
    "ENV_SCHEDULER",
    "PARAMETERS",
    "PRIOR_SIGMA",
    "CohortRun",
    "Population",
    "ProtocolDose",
    "VirtualPatients",
    "dask_client",
    "draw_patients",
    "months_to_days",
    "patient_improvement",
    "pixel_levels",
    "profile_levels",
    "protocol_dose",
    "read_cohort",
    "remaining_depth",
    "run_cohort",
    "scar_volumes",
    "simulate_block",
]
