package betalab.sweep;

import betalab.training.RunFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** A table of text cells, written as CSV, Markdown or an HTML fragment. */
record Table(List<String> header, List<List<String>> rows) {

    Table {
        header = List.copyOf(header);
        rows = rows.stream().map(List::copyOf).toList();
    }

    /** RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. */
    String csv() {
        StringBuilder b = new StringBuilder();
        csvLine(b, header);
        rows.forEach(r -> csvLine(b, r));
        return b.toString();
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        markdownLine(b, header);
        markdownLine(b, header.stream().map(h -> "---").toList());
        rows.forEach(r -> markdownLine(b, r));
        return b.toString();
    }

    String html() {
        StringBuilder b = new StringBuilder("<table>\n<thead><tr>");
        header.forEach(h -> b.append("<th>").append(Report.escape(h)).append("</th>"));
        b.append("</tr></thead>\n<tbody>\n");
        for (List<String> r : rows) {
            b.append("<tr>");
            r.forEach(c -> b.append("<td>").append(Report.escape(c)).append("</td>"));
            b.append("</tr>\n");
        }
        return b.append("</tbody>\n</table>\n").toString();
    }

    void writeCsv(Path file) {
        write(file, csv());
    }

    void writeMarkdown(Path file) {
        write(file, markdown());
    }

    static void write(Path file, String text) {
        RunFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void csvLine(StringBuilder b, List<String> cells) {
        b.append(cells.stream().map(c -> c.matches("(?s).*[\",\r\n].*") ? "\"" + c.replace("\"", "\"\"") + "\"" : c)
                .collect(Collectors.joining(","))).append('\n');
    }

    private static void markdownLine(StringBuilder b, List<String> cells) {
        b.append("| ").append(cells.stream().map(c -> c.replace("|", "\\|").replace('\n', ' '))
                .collect(Collectors.joining(" | "))).append(" |\n");
    }
}
