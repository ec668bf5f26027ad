#!/usr/bin/env bash
# Kaldi-style options for bash scripts. Set the defaults, then source this file:
#
#   nj=4; use_gpu=false; help_message="Usage: $0 [options] <data-dir>"
#   . utils/parse_options.sh
#
# --foo-bar VALUE (or --foo-bar=VALUE) sets the existing variable foo_bar; an option with
# no such variable is an error, and so is a value other than true/false for a variable
# whose default is true or false. --config FILE is read before the command-line options
# (so they override it); it holds "--opt value" lines and/or one-line shell assignments
# such as beam=13, '#' comments allowed. --help or -h prints $help_message, then the
# script's option block when it marks one (see _po_options_help). Parsing stops at the
# first argument that is not an option, or after "--"; the rest stay in "$@".

[ -z "${config+x}" ] && config=

_po_fail() { echo "$0: $*" >&2; exit 1; }

# _po_set NAME VALUE WHERE: set an existing variable, checking booleans.
_po_set() {
  local name=$1 value=$2 where=$3 opt="--${1//_/-}"
  [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || _po_fail "invalid option $opt$where"
  [ -n "${!name+x}" ] || _po_fail "invalid option $opt$where (there is no such option)"
  local old=${!name}
  if [[ $old == true || $old == false ]] && [[ $value != true && $value != false ]]; then
    _po_fail "expected \"true\" or \"false\": $opt $value$where"
  fi
  printf -v "$name" '%s' "$value"
}

# _po_config FILE: apply a config file of --opt lines and shell assignments.
_po_config() {
  local file=$1 line n=0 name value
  [ -f "$file" ] || _po_fail "config file $file does not exist"
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ $line =~ ^[[:space:]]*--([^=[:space:]]+)(=|[[:space:]]+)(.*)$ ]]; then
      name=${BASH_REMATCH[1]//-/_}
      value=${BASH_REMATCH[3]}
      value=${value%"${value##*[![:space:]]}"}
      _po_set "$name" "$value" " (in $file line $n)"
    else
      eval "$line" || _po_fail "$file line $n: cannot evaluate '$line'"
    fi
  done < "$file"
}

# _po_options_help FILE: the option block of FILE, the "name=value  # meaning" lines from a
# "# ---- options" marker line to the line that sources this file, as
# "--name (default: value)  meaning"; the block's other comment lines head its sections.
# The help is read from the options themselves, so the two cannot drift apart.
_po_options_help() {
  awk '
    /^# -+ options/ { on = 1; next }
    !on { next }
    /parse_options\.sh/ { exit }
    /^#/ { sub(/^# ?/, ""); printf "\n%s\n", $0; next }
    /^[A-Za-z_][A-Za-z0-9_]*=/ {
      name = substr($0, 1, index($0, "=") - 1); rest = substr($0, length(name) + 2)
      q = substr(rest, 1, 1)
      if (q == "\"" || q == "\047") { end = index(substr(rest, 2), q) + 1 }
      else { end = match(rest, /[ \t]/) ? RSTART - 1 : length(rest) }
      value = substr(rest, 1, end); rest = substr(rest, end + 1)
      if (q == "\"" || q == "\047") value = substr(value, 2, length(value) - 2)
      meaning = rest; sub(/^[ \t]*#?[ \t]*/, "", meaning)
      gsub(/_/, "-", name)
      printf "  %-44s  %s\n", "--" name " (default: " (value == "" ? "\"\"" : value) ")", meaning
    }
  ' "$1"
}

# The config file comes first, wherever --config is among the options.
_po_i=1
while [ $_po_i -le $# ]; do
  _po_arg=${!_po_i}
  case $_po_arg in
    --config=*) config=${_po_arg#--config=} ;;
    --config) _po_j=$((_po_i + 1)); [ $_po_j -le $# ] || _po_fail "option --config needs a value"
              config=${!_po_j}; _po_i=$_po_j ;;
    --) break ;;
    --*=*) ;;
    --*) _po_i=$((_po_i + 1)) ;;
    *) break ;;
  esac
  _po_i=$((_po_i + 1))
done
[ -n "$config" ] && _po_config "$config"

while [ $# -gt 0 ]; do
  case $1 in
    --help|-h)
      if [ -z "${help_message:-}" ]; then echo "No help found." >&2; else printf '%s\n' "$help_message" >&2; fi
      _po_options_help "${BASH_SOURCE[1]:-$0}" >&2
      exit 0 ;;
    --) shift; break ;;
    --config=*) shift ;;
    --config) shift 2 ;;
    --*=*) _po_name=${1%%=*}; _po_name=${_po_name#--}
           _po_set "${_po_name//-/_}" "${1#*=}" ""; shift ;;
    --*) [ $# -ge 2 ] || _po_fail "option $1 needs a value"
         _po_name=${1#--}; _po_set "${_po_name//-/_}" "$2" ""; shift 2 ;;
    *) break ;;
  esac
done

if [ -n "${cmd+x}" ] && [ -z "$cmd" ]; then _po_fail "empty argument to --cmd option"; fi
unset _po_i _po_j _po_arg _po_name
true
