package org.pagecache.jmh.report;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JMH's result files ({@code -rf json}) with Jackson, strictly (one value, nothing after it). Objects become
 * {@link LinkedHashMap}s, arrays {@link ArrayList}s, every number a {@link Double}, and
 * {@code true}/{@code false}/{@code null} themselves.
 */
public final class Json {

    private static final ObjectMapper STRICT =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    /**
     * @param text a JSON document
     * @return its value
     * @throws IllegalArgumentException if {@code text} is not one well-formed JSON value, naming the offset
     */
    public static Object parse(String text) {
        if (text == null) {
            throw new NullPointerException("text");
        }
        try {
            return doubles(STRICT.readValue(text, Object.class));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            long offset = at == null ? -1 : at.getCharOffset();
            throw new IllegalArgumentException("malformed JSON at offset " + offset + ": " + e.getOriginalMessage(), e);
        }
    }

    /** Jackson's integers and decimals as doubles, the one number type the report reasons in. */
    private static Object doubles(Object value) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object item : list) {
                out.add(doubles(item));
            }
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), doubles(v)));
            return out;
        }
        return value;
    }
}
