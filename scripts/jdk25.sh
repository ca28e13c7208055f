# Sourced by the project's scripts: finds a JDK 25 or newer and exports JAVA_HOME and PATH for it.
# Looks at JAVA_HOME first, then the usual JVM folders, then `java` on the PATH.
pagecache_find_jdk25() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$("$c/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

if ! PAGECACHE_JDK=$(pagecache_find_jdk25); then
  echo "error: pagecache needs a JDK 25 or newer, and none was found (looked at JAVA_HOME, /usr/lib/jvm/*, java on the PATH)." >&2
  echo "       Install one (for example Eclipse Temurin 25) and set JAVA_HOME to it." >&2
  exit 3
fi
export JAVA_HOME="$PAGECACHE_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
