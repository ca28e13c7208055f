package org.pagecache.stress;

import java.util.Locale;

/**
 * A minimal JSON writer for the report: objects, arrays, strings, numbers, booleans, indented two spaces.
 * The caller nests {@code beginObject}/{@code endObject} and {@code beginArray}/{@code endArray} correctly.
 */
final class JsonWriter {

    private final StringBuilder out = new StringBuilder();
    /** Per nesting level: whether a value was written at that level already (a comma is needed). */
    private boolean[] started = new boolean[16];
    private int depth;
    private boolean afterName;

    JsonWriter beginObject() {
        value("{");
        push();
        return this;
    }

    JsonWriter endObject() {
        pop("}");
        return this;
    }

    JsonWriter beginArray() {
        value("[");
        push();
        return this;
    }

    JsonWriter endArray() {
        pop("]");
        return this;
    }

    JsonWriter name(String name) {
        separator();
        out.append(quote(name)).append(": ");
        afterName = true;
        return this;
    }

    JsonWriter string(String value) {
        value(value == null ? "null" : quote(value));
        return this;
    }

    JsonWriter number(long value) {
        value(Long.toString(value));
        return this;
    }

    JsonWriter number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            value("null");
        } else {
            value(Double.toString(value));
        }
        return this;
    }

    JsonWriter bool(boolean value) {
        value(Boolean.toString(value));
        return this;
    }

    JsonWriter field(String name, String value) {
        return name(name).string(value);
    }

    JsonWriter field(String name, long value) {
        return name(name).number(value);
    }

    JsonWriter field(String name, double value) {
        return name(name).number(value);
    }

    JsonWriter field(String name, boolean value) {
        return name(name).bool(value);
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void value(String text) {
        if (!afterName) {
            separator();
        }
        afterName = false;
        out.append(text);
    }

    private void separator() {
        if (depth > 0) {
            if (started[depth]) {
                out.append(',');
            }
            started[depth] = true;
            out.append('\n').append("  ".repeat(depth));
        }
    }

    private void push() {
        depth++;
        if (depth == started.length) {
            started = java.util.Arrays.copyOf(started, depth * 2);
        }
        started[depth] = false;
    }

    private void pop(String close) {
        boolean any = started[depth];
        depth--;
        if (any) {
            out.append('\n').append("  ".repeat(depth));
        }
        out.append(close);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
