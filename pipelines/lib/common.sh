# Sourced by the pipelines/*.sh demos: where the plugin and models are,
# bounded headless runs, and checks for the elements a demo needs.
#
# Environment every demo honours:
#   NUM_BUFFERS  stop after this many frames (-1 = run until EOS / Ctrl-C)
#   OUT_DIR      where files go (default ./demo-out)
#   HEADLESS=1   no window: fakesink, or files in OUT_DIR
#   MODEL        vaedenoise model (name or path; default the element's own)
#   GST_PLUGIN_PATH  when unset, the build tree's plugin folder is used

VAE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -z ${GST_PLUGIN_PATH:-}${GST_PLUGIN_PATH_1_0:-} ]]; then
  export GST_PLUGIN_PATH=$VAE_ROOT/build/plugin
fi
export GST_VAE_MODEL_PATH=${GST_VAE_MODEL_PATH:-$VAE_ROOT/models}
# OpenBLAS threads would compete with vaedenoise's own bands.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

NUM_BUFFERS=${NUM_BUFFERS:--1}
OUT_DIR=${OUT_DIR:-./demo-out}
HEADLESS=${HEADLESS:-0}
DENOISE_PROPS=${MODEL:+model=$MODEL}

# vae_have ELEMENT: true when the element exists.  (Not --exists: that
# also wants the plugin's version to be at least GStreamer's own.)
vae_have () {
  gst-inspect-1.0 "$1" >/dev/null 2>&1
}

# vae_need ELEMENT...: exits with a hint when an element is missing.
vae_need () {
  local e
  for e in "$@"; do
    if ! vae_have "$e"; then
      echo "$(basename "$0"): GStreamer element '$e' not found;" \
        "is the plugin built (GST_PLUGIN_PATH=${GST_PLUGIN_PATH:-${GST_PLUGIN_PATH_1_0:-}})" \
        "and tools/setup-debian.sh run?" >&2
      exit 1
    fi
  done
}

# vae_run PIPELINE...: runs gst-launch-1.0, echoing the pipeline first.
vae_run () {
  echo "+ gst-launch-1.0 $*" >&2
  gst-launch-1.0 -e "$@"
}

# vae_tool: the project's command line tool, when built.
vae_tool () {
  local t=${VAE_TOOL:-$VAE_ROOT/build/tools/vae}
  [[ -x $t ]] && echo "$t"
}
