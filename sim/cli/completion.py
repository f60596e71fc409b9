"""`ladder --print-completion bash|zsh`: a shell completion script made from the parser.

The script completes the commands, each command's options, the choices of an option that has
them (`--format`, `--design`, ...), file names for every other option value and positional
argument, and the ids of the bundled ladders and scenarios (`ladder list`) as of when the
script was printed. zsh uses the same script through its `bashcompinit` layer. No dependency:
the script is written from the argparse parser, so a new command or option is completed as
soon as it is declared.

Enable: `eval "$(ladder --print-completion bash)"` in ~/.bashrc, or
`eval "$(ladder --print-completion zsh)"` in ~/.zshrc (after `compinit`).
"""

from __future__ import annotations

import argparse
import shlex

SHELLS = ("bash", "zsh")
TAKE_LADDERS = ("show", "validate")  # commands whose inputs may be ladders, not only scenarios

HEAD = """\
# {shell} completion for ladder, printed by `ladder --print-completion {shell}`.
# Enable it with: eval "$(ladder --print-completion {shell})"  (in ~/.{rc}{after})
"""

IDS = """\
_ladder_scenarios={scenarios}
_ladder_ladders={ladders}

"""

ZSH_PRELUDE = """\
autoload -U +X bashcompinit && bashcompinit
"""

FUNCTION = """\
_ladder_files() {{
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -f -- "$cur"))
}}

_ladder() {{
    local cur prev cmd i
    COMPREPLY=()
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) cmd="${{COMP_WORDS[i]}}"; break ;;
        esac
    done
    case "$cmd" in
{branches}
        *) _ladder_files ;;
    esac
    return 0
}}

complete -o filenames -F _ladder ladder
"""


def _words(items) -> str:
    return shlex.quote(" ".join(items))


def _options(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """A parser's long options (and -h), the choices of each option that has them, and the
    options that take a value without choices (completed with file names)."""
    names: list[str] = []
    choices: dict[str, list[str]] = {}
    valued: list[str] = []
    for action in parser._actions:
        if not action.option_strings:
            continue
        names += action.option_strings
        if action.nargs == 0:
            continue
        for option in action.option_strings:
            if action.choices:
                choices[option] = [str(c) for c in action.choices]
            else:
                valued.append(option)
    return names, choices, valued


def _has_positionals(parser: argparse.ArgumentParser) -> bool:
    return any(not a.option_strings and not isinstance(a, argparse._SubParsersAction)
               for a in parser._actions)


def _branch(name: str, parser: argparse.ArgumentParser, words: str) -> str:
    """The `case "$cmd"` branch of one command ("" for the top level); `words` (shell text)
    are completed for a word that is not an option: the commands, or the bundled ids."""
    names, choices, valued = _options(parser)
    label = shlex.quote(name) if name else '""'
    lines = [f"        {label})"]
    if choices or valued:
        lines.append('            case "$prev" in')
        for option, values in choices.items():
            lines.append(f'                {option}) COMPREPLY=($(compgen -W {_words(values)} '
                         '-- "$cur")); return 0 ;;')
        if valued:
            lines.append(f'                {"|".join(valued)}) _ladder_files; return 0 ;;')
        lines.append("            esac")
    lines.append('            if [[ "$cur" == -* ]]; then')
    lines.append(f'                COMPREPLY=($(compgen -W {_words(names)} -- "$cur"))')
    if words:
        lines.append("            else")
        lines.append(f'                COMPREPLY=($(compgen -W {words} -- "$cur"))')
        if _has_positionals(parser):
            lines.append("                _ladder_files")
    lines.append("            fi")
    lines.append("            ;;")
    return "\n".join(lines)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def bundled_ids() -> tuple[list[str], list[str]]:
    """The ids of the bundled scenarios and ladders (none if the library cannot be read)."""
    from ..format.library import bundled_ladders, bundled_scenarios

    try:
        return list(bundled_scenarios()), list(bundled_ladders())
    except OSError:
        return [], []


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of `parser` (the `ladder` parser) for `shell` ("bash", "zsh")."""
    if shell not in SHELLS:
        raise ValueError(f"no completion for {shell!r}: {', '.join(SHELLS)}")
    commands = _subcommands(parser)
    scenarios, ladders = bundled_ids()
    branches = [_branch("", parser, _words(commands))]
    for name, sub in commands.items():
        ids = ""
        if _has_positionals(sub):
            ids = ('"$_ladder_scenarios $_ladder_ladders"' if name in TAKE_LADDERS
                   else '"$_ladder_scenarios"')
        branches.append(_branch(name, sub, ids))
    rc, after = ("zshrc", ", after compinit") if shell == "zsh" else ("bashrc", "")
    text = HEAD.format(shell=shell, rc=rc, after=after)
    if shell == "zsh":
        text += ZSH_PRELUDE
    text += IDS.format(scenarios=_words(scenarios), ladders=_words(ladders))
    return text + FUNCTION.format(branches="\n".join(branches))


class PrintCompletion(argparse.Action):
    """`--print-completion SHELL`: print the script for the whole parser and exit 0."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(script(parser, str(values)), end="")
        parser.exit()


def add_option(parser: argparse.ArgumentParser) -> None:
    """Add `--print-completion bash|zsh` to the top-level `ladder` parser."""
    parser.add_argument("--print-completion", choices=SHELLS, action=PrintCompletion,
                        metavar="SHELL",
                        help="print a completion script for bash or zsh and exit; enable it "
                             'with eval "$(ladder --print-completion bash)" in ~/.bashrc')
