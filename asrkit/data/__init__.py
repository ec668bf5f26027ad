"""Kaldi data directories: tables, the DataDir object, validation and the Kaldi operations."""

from asrkit.data.datadir import DataDir
from asrkit.data.files import Segment, format_seconds
from asrkit.data.tables import (
    DataDirError,
    c_sorted,
    read_list,
    read_table,
    spk2utt_to_utt2spk,
    utt2spk_to_spk2utt,
    write_table,
)
from asrkit.data.validate import Report, check_datadir, validate_data_dir

__all__ = [
    "DataDir",
    "DataDirError",
    "Report",
    "Segment",
    "c_sorted",
    "check_datadir",
    "format_seconds",
    "read_list",
    "read_table",
    "spk2utt_to_utt2spk",
    "utt2spk_to_spk2utt",
    "validate_data_dir",
    "write_table",
]
