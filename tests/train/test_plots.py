import numpy as np
import pytest

from asrkit.plots import metric_families, plot_confusion_matrix, plot_training_curves

PNG = b"\x89PNG\r\n\x1a\n"


def test_loss_parts_share_the_loss_figure_and_rates_share_one():
    families = metric_families(["loss", "loss_diversity", "lr", "grad_norm", "items_per_s",
                                "audio_s_per_s", "code_perplexity"])
    assert families["loss"] == ["loss", "loss_diversity"]
    assert families["throughput"] == ["audio_s_per_s", "items_per_s"]
    assert set(families) == {"loss", "lr", "grad_norm", "throughput", "code_perplexity"}


def test_training_curves_draw_one_png_per_family(tmp_path):
    records = [
        {"split": "train", "updates": 10, "epoch": 0, "time": 1.0, "loss": 3.0, "loss_x": 1.0, "lr": 1e-3},
        {"split": "train", "updates": 20, "epoch": 0, "time": 2.0, "loss": 2.0, "loss_x": 0.5, "lr": 2e-3},
        {"split": "valid", "updates": 20, "epoch": 0, "time": 3.0, "loss": 2.5},
    ]
    written = plot_training_curves(records, tmp_path / "images")
    assert sorted(p.name for p in written) == ["loss.png", "lr.png"]
    assert all(p.read_bytes()[:8] == PNG for p in written)
    assert plot_training_curves([], tmp_path / "none") == []


def test_confusion_matrix_png_and_shape_check(tmp_path):
    path = plot_confusion_matrix(np.array([[5, 1], [2, 7]]), ["en", "es"], tmp_path / "cm.png")
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="3 labels"):
        plot_confusion_matrix(np.eye(2), ["a", "b", "c"], tmp_path / "bad.png")


def test_curves_can_be_drawn_on_demand_from_the_command_line(tmp_path, capsys):
    from asrkit.plots import main

    log = tmp_path / "exp" / "log"
    log.mkdir(parents=True)
    (log / "metrics.jsonl").write_text('{"split": "train", "updates": 1, "epoch": 0, "loss": 2.0}\n')
    assert main([str(tmp_path / "exp")]) == 0
    assert (tmp_path / "exp" / "images" / "loss.png").is_file()
    assert main([str(tmp_path / "missing")]) == 1
    assert "no metrics" in capsys.readouterr().err


def test_plot_curves_reads_a_metrics_log_still_being_written(tmp_path):
    from asrkit.plots import IMAGES, plot_curves

    log = tmp_path / "log"
    log.mkdir()
    (log / "metrics.jsonl").write_text(
        '{"split": "train", "updates": 1, "epoch": 0, "loss": 2.0, "lr": 0.1}\n'
        '{"split": "valid", "updates": 1, "epoch": 0, "loss": 2.5}\n'
        '{"split": "train", "updates": 2, "ep')  # a writer killed mid-line
    written = plot_curves(tmp_path)
    assert sorted(p.name for p in written) == ["loss.png", "lr.png"]
    assert all(p.parent == tmp_path / IMAGES for p in written)


def test_importing_plots_loads_neither_the_trainer_nor_matplotlib():
    import subprocess
    import sys

    code = ("import sys, asrkit.plots; "
            "print(sorted(m for m in ('asrkit.train', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
