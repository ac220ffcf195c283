# Sourced by the set-up scripts (sysdeps, nginx_deps, browser_deps, vendor_js):
# install missing Debian packages. The caller defines `say`.
#
#   apt_install STATUS PACKAGE...   as root: apt-get install PACKAGE...;
#                                   otherwise say how and exit with STATUS
#                                   (0 when the caller's tests can be skipped).
apt_install() {
  local status=$1
  shift
  if [ "$(id -u)" != 0 ]; then
    say "missing $*; install them as root (apt-get install $*)"
    exit "$status"
  fi
  say "installing $*"
  apt-get update -qq
  # A package that ships a service starts none here (no systemd); the tests start their own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  say "installed $*"
}
