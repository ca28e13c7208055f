package org.pagecache.offheap.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/** {@link DirectIo} finds the JDK's own constant and recognises it, and nothing else. */
class DirectIoOptionTest {

    @Test
    void theOptionIsTheJdksConstant() {
        assertTrue(DirectIo.available());
        assertSame(ExtendedOpenOption.DIRECT, DirectIo.option());
    }

    @Test
    void recognisesDirectOnly() {
        assertTrue(DirectIo.isDirect(ExtendedOpenOption.DIRECT));
        for (OpenOption other : ExtendedOpenOption.values()) {
            if (other != ExtendedOpenOption.DIRECT) {
                assertFalse(DirectIo.isDirect(other), other.toString());
            }
        }
        for (OpenOption other : StandardOpenOption.values()) {
            assertFalse(DirectIo.isDirect(other), other.toString());
        }
        assertFalse(DirectIo.isDirect(LinkOption.NOFOLLOW_LINKS));
        // an option of another type that is spelled the same is not the JDK's
        assertFalse(DirectIo.isDirect(Lookalike.DIRECT));
        assertFalse(DirectIo.isDirect(new OpenOption() {
            @Override
            public String toString() {
                return DirectIo.OPTION_NAME;
            }
        }));
    }

    private enum Lookalike implements OpenOption {
        DIRECT
    }
}
