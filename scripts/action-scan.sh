#!/usr/bin/env bash
# The logic of the confgate GitHub Action (action.yml), kept here so that it can be run and
# tested outside GitHub (tests/action.rs runs it with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
# pointing at temporary files).
#
#   action-scan.sh scan   run `confgate scan`, write the report, the step summary and the
#                         outputs exit-code, findings and report; exits 0 whatever the scan
#                         found (the gate is a separate step, so the outputs are always set)
#   action-scan.sh gate   exit 1 when SCAN_EXIT_CODE is 1 and INPUT_FAIL_ON is not `none`,
#                         exit 2 when it is 2 (or missing), else 0
#
# Inputs come from the environment, as action.yml passes them (never interpolated into the
# script text): INPUT_PATHS (whitespace-separated, default `.`), INPUT_FORMAT (default sarif),
# INPUT_OUTPUT (default confgate.sarif; empty = stdout), INPUT_FAIL_ON (info|low|medium|high|
# critical|none, default high), INPUT_ARGS (extra arguments, whitespace-separated, no
# quoting), INPUT_CATEGORY (SARIF only: sets runs[].automationDetails.id, so that
# upload-sarif keeps separate scans apart), INPUT_SUMMARY (true|false, default true).
# `confgate` must be on PATH.
set -euo pipefail

err() {
  # A workflow-command error: an annotation on GitHub, a readable line anywhere else.
  echo "::error title=confgate::$*" >&2
}

out() {
  # One step output (name=value); printed when not running under GitHub.
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  else
    printf 'output %s=%s\n' "$1" "$2"
  fi
}

# A JSON value at a jq path from a file, with jq or else python3 (empty when unavailable).
json_get() {
  local file=$1 jq_path=$2 py_expr=$3
  if command -v jq >/dev/null 2>&1; then
    jq -r "$jq_path // empty" "$file" 2>/dev/null || true
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($py_expr)" "$file" \
      2>/dev/null || true
  fi
}

scan() {
  local format=${INPUT_FORMAT:-sarif}
  local output=${INPUT_OUTPUT-confgate.sarif}
  local fail_on=${INPUT_FAIL_ON:-high}
  local summary=${INPUT_SUMMARY:-true}
  local category=${INPUT_CATEGORY:-}
  local paths=() extra=() gate=()
  # Whitespace-separated words (spaces or newlines); `read` returns 1 at the end of input.
  read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
  [ "${#paths[@]}" -gt 0 ] || paths=(.)
  read -r -d '' -a extra <<<"${INPUT_ARGS:-}" || true

  case "$fail_on" in
    info | low | medium | high | critical) gate=(--fail-on "$fail_on") ;;
    none) ;;
    *)
      err "fail-on must be info, low, medium, high, critical or none (got '$fail_on')"
      exit 2
      ;;
  esac
  if ! command -v confgate >/dev/null 2>&1; then
    err "confgate is not on PATH (install: build builds it; install: path expects it there)"
    exit 2
  fi

  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT

  # The requested report.
  local cmd=(confgate scan "${paths[@]}" --format "$format" ${gate[@]+"${gate[@]}"})
  if [ -n "$output" ]; then
    mkdir -p -- "$(dirname -- "$output")"
    cmd+=(--output "$output")
  fi
  if [ "$format" = sarif ] && [ -n "$category" ]; then
    cmd+=(--sarif-category "$category")
  fi
  cmd+=(${extra[@]+"${extra[@]}"})
  printf '+'
  printf ' %q' "${cmd[@]}"
  printf '\n'
  local code=0
  "${cmd[@]}" || code=$?

  # The findings count, from a JSON report of the same scan (the requested one if it is JSON).
  # Auxiliary reports always get an explicit --output, so that an `output` key in
  # confgate.toml cannot redirect them.
  local json="$work/report.json"
  if [ "$format" = json ] && [ -n "$output" ]; then
    json=$output
  else
    confgate scan "${paths[@]}" --format json ${gate[@]+"${gate[@]}"} --output "$json" \
      ${extra[@]+"${extra[@]}"} >/dev/null 2>&1 || true
  fi
  local findings=""
  if [ -s "$json" ]; then
    findings=$(json_get "$json" '.summary.findings' 'd["summary"]["findings"]')
  fi

  # The Markdown summary, for the job page and the log.
  if [ "$summary" = true ]; then
    local md="$work/summary.md"
    confgate scan "${paths[@]}" --format markdown ${gate[@]+"${gate[@]}"} --output "$md" \
      ${extra[@]+"${extra[@]}"} >/dev/null 2>&1 || true
    if [ ! -s "$md" ]; then
      # shellcheck disable=SC2016 # literal backquotes: Markdown code
      printf '## confgate: error\n\n`confgate scan` exited %s; see the job log.\n' "$code" >"$md"
    fi
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      cat "$md" >>"$GITHUB_STEP_SUMMARY"
    fi
    echo "::group::confgate summary"
    cat "$md"
    echo "::endgroup::"
  fi

  local report=""
  if [ -n "$output" ]; then
    case "$output" in
      /*) report=$output ;;
      *) report="$PWD/$output" ;;
    esac
  fi
  out exit-code "$code"
  out findings "$findings"
  out report "$report"
  echo "confgate: exit code $code, ${findings:-?} finding(s)${report:+, report $report}"
}

gate() {
  local code=${SCAN_EXIT_CODE:-}
  local fail_on=${INPUT_FAIL_ON:-high}
  case "$code" in
    0) echo "confgate: gate passed" ;;
    1)
      if [ "$fail_on" = none ]; then
        echo "confgate: findings reported; fail-on is none, so the step passes"
      else
        err "findings at or above '$fail_on' (see the report and the job summary)"
        exit 1
      fi
      ;;
    2)
      err "confgate scan failed (exit 2: bad usage, unreadable or malformed input, or a broken policy); see the log"
      exit 2
      ;;
    *)
      err "no exit code from the scan step (got '$code')"
      exit 2
      ;;
  esac
}

case "${1:-}" in
  scan) scan ;;
  gate) gate ;;
  *)
    err "usage: $0 scan|gate"
    exit 2
    ;;
esac
