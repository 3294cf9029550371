""" Contains all the data models used in inputs/outputs """

from .analysis_info import AnalysisInfo
from .analysis_params import AnalysisParams
from .arrays import Arrays
from .condition_data import ConditionData
from .condition_match import ConditionMatch
from .condition_summary import ConditionSummary
from .dataset_info import DatasetInfo
from .decode_info import DecodeInfo
from .decode_request import DecodeRequest
from .diffusion_method import DiffusionMethod
from .distance_kind import DistanceKind
from .duplicates import Duplicates
from .embed_method import EmbedMethod
from .embedding_format import EmbeddingFormat
from .embedding_info import EmbeddingInfo
from .fit_request import FitRequest
from .graph_type import GraphType
from .group_matching import GroupMatching
from .job_info import JobInfo
from .job_state import JobState
from .losses import Losses
from .match_by import MatchBy
from .matching import Matching
from .model_info import ModelInfo
from .new_dataset import NewDataset
from .optimizer import Optimizer
from .params import Params
from .plot_kind import PlotKind
from .problem import Problem
from .run_array import RunArray
from .step_time import StepTime
from .summary import Summary
from .transfer import Transfer
from .transfer_decoding import TransferDecoding
from .transform_request import TransformRequest
from .within_group import WithinGroup

__all__ = (
    "AnalysisInfo",
    "AnalysisParams",
    "Arrays",
    "ConditionData",
    "ConditionMatch",
    "ConditionSummary",
    "DatasetInfo",
    "DecodeInfo",
    "DecodeRequest",
    "DiffusionMethod",
    "DistanceKind",
    "Duplicates",
    "EmbeddingFormat",
    "EmbeddingInfo",
    "EmbedMethod",
    "FitRequest",
    "GraphType",
    "GroupMatching",
    "JobInfo",
    "JobState",
    "Losses",
    "MatchBy",
    "Matching",
    "ModelInfo",
    "NewDataset",
    "Optimizer",
    "Params",
    "PlotKind",
    "Problem",
    "RunArray",
    "StepTime",
    "Summary",
    "Transfer",
    "TransferDecoding",
    "TransformRequest",
    "WithinGroup",
)
