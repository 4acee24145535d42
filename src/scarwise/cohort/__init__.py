"""Virtual cohorts, calibration to evidence and per-patient prediction (model predictions, not evidence).

Patients (:func:`draw_patients`) are simulated with the local reduced form of the therapy model
(:mod:`scarwise.cohort._reduced`), serially or on Dask (:func:`run_cohort`), with results written as
resumable Parquet chunks.
"""

from scarwise.cohort._calibrate import (
    CalibrationTarget,
    Posterior,
    ProtocolStatus,
    calibrate,
    calibration_record,
    check_with_calibration,
    evidence_targets,
    identifiable_parameters,
    predictive_interval,
    sobol_indices,
    study_checks,
)
from scarwise.cohort._patients import PARAMETERS, PRIOR_SIGMA, Population, VirtualPatients, draw_patients
from scarwise.cohort._predict import ScarBurden, burden_from_measure, load_posterior, predict_burden
from scarwise.cohort._reduced import ProtocolDose, pixel_levels, profile_levels, protocol_dose, remaining_depth
from scarwise.cohort._runners import ENV_SCHEDULER, CohortRun, dask_client, read_cohort, run_cohort
from scarwise.cohort._simulate import months_to_days, patient_improvement, scar_volumes, simulate_block
from scarwise.cohort._trials import (
    REPORTED,
    STUDY_DESIGNS,
    ReportedArms,
    TrialDesign,
    TrialOutcome,
    held_back_check,
    simulate_trial,
)

__all__ = [
    "ENV_SCHEDULER",
    "PARAMETERS",
    "PRIOR_SIGMA",
    "REPORTED",
    "STUDY_DESIGNS",
    "CalibrationTarget",
    "CohortRun",
    "Population",
    "Posterior",
    "ProtocolDose",
    "ProtocolStatus",
    "ReportedArms",
    "ScarBurden",
    "TrialDesign",
    "TrialOutcome",
    "VirtualPatients",
    "burden_from_measure",
    "calibrate",
    "calibration_record",
    "check_with_calibration",
    "evidence_targets",
    "held_back_check",
    "identifiable_parameters",
    "load_posterior",
    "predict_burden",
    "predictive_interval",
    "simulate_trial",
    "sobol_indices",
    "study_checks",
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
