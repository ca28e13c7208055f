package org.pagecache.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pagecache.jmh.report.BenchResult;
import org.pagecache.jmh.report.RatioReport;
import org.pagecache.jmh.report.Target;

class MetadataFootprintTest {

    @Test
    void itsResultFileIsReadByTheReportAndJudgedPerFrame() {
        List<BenchResult> results = BenchResult.parseAll(MetadataFootprint.json(15.5, 16.4, 4.2, 12.2));
        assertEquals(2, results.size());
        assertEquals("MetadataFootprint.bytesPerFrame", results.get(0).benchmark());
        assertEquals(15.5, results.get(0).score(), 1e-9);
        assertEquals("B/frame", results.get(0).unit());
        assertEquals(16.4, results.get(1).score(), 1e-9);
        assertEquals(4.2, results.get(1).secondary().get("heap"), 1e-9);

        Target metadata = RatioReport.TARGETS.stream()
                .filter(t -> t.ours().startsWith("MetadataFootprint."))
                .findFirst()
                .orElseThrow();
        assertEquals(Target.Verdict.PASS, metadata.evaluate(results).verdict());
        List<BenchResult> over = BenchResult.parseAll(MetadataFootprint.json(29.1, 31.2, 18.4, 12.8));
        assertEquals(Target.Verdict.FAIL, metadata.evaluate(over).verdict());
    }
}
