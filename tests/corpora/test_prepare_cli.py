"""asrkit-prepare: each corpus's own options, and the settings-keyed marker that skips stage 1."""

from __future__ import annotations

import inspect
import json
import logging

import pytest

from asrkit.corpora import CORPORA, cli, commonvoice, corpus_module, librispeech, synth

# Options each corpus must offer (recipes in egs/*/local/data.sh pass many of them) and that
# no other corpus has, except where a corpus reads another's layout (synth is Common Voice).
OWN_OPTIONS = {
    "commonvoice": ["--locales", "--split-mode", "--dev-fraction", "--test-fraction", "--unlabeled",
                    "--speaker-id-length", "--durations", "--normalizer", "--check-audio", "--max-bad-fraction"],
    "librispeech": ["--subsets", "--limited", "--limited-from", "--unlabeled", "--min-duration",
                    "--max-duration", "--seed", "--normalizer", "--check-audio", "--max-bad-fraction"],
    "covost2": ["--covost-dir", "--sources", "--target", "--splits", "--normalizer", "--check-audio",
                "--max-bad-fraction"],
    "fsdd": ["--split", "--num-dev-speakers", "--dev-speakers", "--case", "--check-audio", "--max-bad-fraction"],
    "yesno": ["--check-audio", "--max-bad-fraction"],
    "an4": ["--dev-fraction", "--dev-speakers", "--normalizer", "--check-audio", "--max-bad-fraction"],
    "generic": ["--name", "--delimiter", "--quoting", "--header", "--path-column", "--audio-dir",
                "--audio-ext", "--durations", "--normalizer"],
    "synth": ["--locales", "--split-mode", "--languages", "--minutes", "--speakers-per-locale", "--jobs"],
}
ONLY_IN = {"--limited": "librispeech", "--covost-dir": "covost2", "--case": "fsdd", "--path-column": "generic",
           "--minutes": "synth"}


def corpus_help(name: str, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        cli.main([name, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", list(CORPORA))
def test_each_corpus_help_lists_its_own_options(name, capsys):
    text = corpus_help(name, capsys)
    for option in OWN_OPTIONS[name] + ["--download", "--force"]:
        assert option in text, f"{option} missing from asrkit-prepare {name} --help"
    for option, owner in ONLY_IN.items():
        assert (option in text) == (name == owner), f"{option} in asrkit-prepare {name} --help"
    first_line = corpus_module(name).__doc__.split("\n", 1)[0]
    assert first_line in text


def _keyword_defaults(fn) -> dict:
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.kind is p.KEYWORD_ONLY or p.default is not p.empty}


@pytest.mark.parametrize("name", list(CORPORA))
def test_every_option_reaches_a_keyword_with_the_keywords_default(name):
    """An option that maps to no keyword, or whose default differs from the library's, fails here."""
    module = corpus_module(name)
    args = cli.build_parser().parse_args([name, "root", "out"])
    prepared = module.prepare_options(args)
    downloaded = module.download_options(args)
    prepare_fn = commonvoice.prepare if name == "synth" else module.prepare
    expected = _keyword_defaults(prepare_fn)
    assert prepared.keys() <= expected.keys()
    for key, value in prepared.items():
        default = expected[key]
        if key == "normalizer":
            assert value == {"preset": default}
        else:
            assert value == (list(default) if isinstance(default, tuple) else default), key
    download_fn = synth.generate if name == "synth" else module.download
    expected = _keyword_defaults(download_fn)
    for key, value in downloaded.items():
        default = expected[key]
        assert value == (list(default) if isinstance(default, tuple) else default), key
    cli_own = {"corpus", "corpus_root", "out_dir", "download", "force", "alphabet"}
    unused = vars(args).keys() - cli_own - prepared.keys() - downloaded.keys()
    assert not unused, f"options of asrkit-prepare {name} that reach no keyword: {sorted(unused)}"


def test_download_gets_its_own_options(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(librispeech, "download", lambda target, **kw: calls.append(("ls", target, kw)))
    monkeypatch.setattr(synth, "generate", lambda target, **kw: calls.append(("synth", target, kw)))
    assert cli.main(["librispeech", "--download", str(tmp_path), "--subsets", "dev-clean,test-other"]) == 0
    assert cli.main(["librispeech", "--download", str(tmp_path)]) == 0
    argv = ["synth", "--download", str(tmp_path), "--languages", "es", "--minutes", "2", "--jobs", "1"]
    assert cli.main(argv) == 0
    assert calls[0] == ("ls", str(tmp_path), {"subsets": ["dev-clean", "test-other"]})
    assert calls[1] == ("ls", str(tmp_path), {})
    assert calls[2][2] == {"languages": ["es"], "minutes": 2.0, "seed": 0, "jobs": 1,
                           "minutes_per_locale": None, "speakers_per_locale": 20,
                           "pool_minutes_per_locale": None, "extra_speakers_per_locale": None}
    assert not (tmp_path / cli.DONE).exists()


@pytest.fixture
def loc(kit, tmp_path):
    """A Common Voice locale of 10 speakers with 2 clips each, all in validated.tsv."""
    rows = kit.speaker_rows("ca", {f"s{i}": 2 for i in range(10)})
    return kit.make_cv_locale(tmp_path / "cv", "ca", {"validated": rows})


@pytest.fixture
def counted_prepare(monkeypatch):
    """Common Voice's prepare(), counting its calls; ``fail`` makes the next call die half-way."""
    state = {"calls": 0, "fail": False}
    real = commonvoice.prepare

    def prepare(*args, **kwargs):
        state["calls"] += 1
        if state["fail"]:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(commonvoice, "prepare", prepare)
    return state


def test_a_finished_prepare_is_skipped_until_its_settings_change(loc, tmp_path, counted_prepare, caplog):
    out = tmp_path / "data"
    argv = ["commonvoice", str(loc), str(out), "--unlabeled", "none", "--dev-fraction", "0.2"]
    assert cli.main(argv) == 0
    marker = json.loads((out / cli.DONE).read_text())
    assert marker["corpus"] == "commonvoice" and marker["corpus_root"] == str(loc.resolve())
    assert marker["options"]["dev_fraction"] == 0.2 and marker["options"]["unlabeled"] == []
    assert marker["options"]["normalizer"] == {"preset": "default"}

    with caplog.at_level(logging.INFO):
        assert cli.main(argv) == 0
    assert counted_prepare["calls"] == 1
    assert f"already prepared in {out} (remove {out / cli.DONE} or pass --force)" in caplog.text

    assert cli.main(argv + ["--force"]) == 0
    assert counted_prepare["calls"] == 2
    assert cli.main(argv[:-1] + ["0.3"]) == 0
    assert counted_prepare["calls"] == 3
    assert json.loads((out / cli.DONE).read_text())["options"]["dev_fraction"] == 0.3
    assert cli.main(argv) == 0  # back to 0.2: the data dirs hold 0.3's sets now
    assert counted_prepare["calls"] == 4


def test_an_interrupted_or_failed_prepare_leaves_no_marker(loc, tmp_path, counted_prepare):
    out = tmp_path / "data"
    argv = ["commonvoice", str(loc), str(out), "--unlabeled", "none"]
    assert cli.main(argv) == 0
    counted_prepare["fail"] = True
    with pytest.raises(KeyboardInterrupt):
        cli.main(argv + ["--split-mode", "speaker"])
    assert not (out / cli.DONE).exists()
    counted_prepare["fail"] = False
    assert cli.main(argv) == 0
    assert counted_prepare["calls"] == 3
    assert cli.main(argv + ["--alphabet", "xyz"]) == 1  # every sentence excluded: an error, no marker
    assert not (out / cli.DONE).exists()


def test_a_normalizer_file_keys_the_marker_by_its_content(loc, tmp_path, counted_prepare):
    norm = tmp_path / "norm.yaml"
    norm.write_text("preset: default\n")
    argv = ["commonvoice", str(loc), str(tmp_path / "data"), "--unlabeled", "none", "--normalizer", str(norm)]
    assert cli.main(argv) == 0
    assert cli.main(argv) == 0
    norm.write_text("preset: default\nkeep_hyphens: true\n")
    assert cli.main(argv) == 0
    assert counted_prepare["calls"] == 2
