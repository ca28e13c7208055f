package org.pagecache.offheap.store;

import java.nio.file.OpenOption;

/**
 * The JDK's direct I/O open option, {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} (module
 * {@code jdk.unsupported}), recognised and obtained without naming its class in the source: javac reports every
 * use of that class as an internal proprietary API, a warning no lint option turns off, and the library compiles
 * without warnings. Users pass the JDK's constant to {@code PageCache.open} as usual; the cache recognises it here.
 */
public final class DirectIo {

    /** The binary name of the class that declares the option. */
    static final String OPTION_CLASS = "com.sun.nio.file.ExtendedOpenOption";

    /** The name of the enum constant. */
    static final String OPTION_NAME = "DIRECT";

    /** The option, or {@code null} if this JDK has no {@code jdk.unsupported} module or no such constant. */
    private static final OpenOption DIRECT = lookup();

    private DirectIo() {}

    /**
     * @param option an open option
     * @return whether {@code option} is the JDK's {@code ExtendedOpenOption.DIRECT}
     */
    public static boolean isDirect(OpenOption option) {
        return option instanceof Enum<?> constant
                && constant.name().equals(OPTION_NAME)
                && constant.getDeclaringClass().getName().equals(OPTION_CLASS);
    }

    /**
     * @return whether this JDK has the direct I/O option
     */
    public static boolean available() {
        return DIRECT != null;
    }

    /**
     * @return the JDK's {@code ExtendedOpenOption.DIRECT}
     * @throws UnsupportedOperationException if this JDK has none ({@link #available()} is false)
     */
    public static OpenOption option() {
        if (DIRECT == null) {
            throw new UnsupportedOperationException(
                    "direct I/O: this JDK has no " + OPTION_CLASS + "." + OPTION_NAME + " (module jdk.unsupported)");
        }
        return DIRECT;
    }

    private static OpenOption lookup() {
        Class<?> type;
        try {
            type = Class.forName(OPTION_CLASS, false, DirectIo.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        Object[] constants = type.getEnumConstants();
        if (constants == null) {
            return null;
        }
        for (Object constant : constants) {
            if (constant instanceof OpenOption option && isDirect(option)) {
                return option;
            }
        }
        return null;
    }
}
