package dev.outbox.adapter;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that the five places a setting is written agree with {@link Setting}, the one table:
 * ra.xml declares exactly the adapter properties, each described from the table;
 * ironjacamar.xml sets each from its system property and reads nothing else; README.md's
 * settings tables hold one row per setting with the table's default, range, unit and meaning,
 * and its prose names no system property the table lacks; {@link OutboxResourceAdapter} has a
 * getter and setter for each adapter property and no other; the store reads the switches the
 * table documents. Each failure names the setting and the place, and shows the text expected.
 */
class SettingTableTest {

    /** The header of every settings table in README.md. */
    static final String README_HEADER = "| setting | default | range | unit | meaning |";

    private static final Path MODULE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final Path RA_XML = MODULE.resolve("src/main/rar/META-INF/ra.xml");
    private static final Path IRONJACAMAR_XML = MODULE.resolve("src/main/rar/META-INF/ironjacamar.xml");
    private static final Path README = MODULE.resolve("../README.md").normalize();
    private static final Path SOURCES = MODULE.resolve("src/main/java");

    @Test
    void theTableIsConsistentInItself() {
        List<String> problems = new ArrayList<>();
        Set<String> keys = new TreeSet<>();
        Set<String> beans = new TreeSet<>();
        for (Setting setting : Setting.values()) {
            if (!keys.add(setting.key())) {
                problems.add(setting + ": the name " + setting.key() + " is given twice");
            }
            boolean adapter = setting.source() == Setting.Source.ADAPTER;
            if (adapter != (setting.bean() != null)) {
                problems.add(setting + ": a bean property exactly when it is an adapter property");
            }
            if (adapter && !beans.add(setting.bean())) {
                problems.add(setting + ": the bean property " + setting.bean() + " is given twice");
            }
            if (adapter && !setting.key().equals("outbox." + kebab(setting.bean()))) {
                problems.add(setting + ": the system property of " + setting.bean() + " is outbox." + kebab(setting.bean())
                        + ", not " + setting.key());
            }
            if (setting.meaning().isBlank() || setting.shownDefault().isBlank()) {
                problems.add(setting + ": no meaning or no default shown");
            }
            if (setting.min() != Long.MIN_VALUE) {
                long value = Long.parseLong(setting.defaultValue());
                if (value < setting.min() || value > setting.max()) {
                    problems.add(setting + ": the default " + value + " is outside its range " + setting.range());
                }
            }
        }
        assertNoProblems(problems);
    }

    @Test
    void raXmlDeclaresEveryAdapterPropertyDescribedFromTheTable() throws Exception {
        Map<String, Element> declared = new LinkedHashMap<>();
        NodeList properties = xml(RA_XML).getElementsByTagName("config-property");
        for (int i = 0; i < properties.getLength(); i++) {
            Element property = (Element) properties.item(i);
            declared.put(child(property, "config-property-name"), property);
        }
        List<String> problems = new ArrayList<>();
        for (Setting setting : adapterSettings()) {
            Element property = declared.remove(setting.bean());
            if (property == null) {
                problems.add("ra.xml: no config-property " + setting.bean() + " (" + setting + "); expected:\n" + raXmlEntry(setting));
                continue;
            }
            if (!"java.lang.String".equals(child(property, "config-property-type")) || !child(property, "config-property-value").isEmpty()) {
                problems.add("ra.xml: " + setting.bean() + " must be a java.lang.String with an empty value (the default is the table's)");
            }
            String description = child(property, "description");
            if (!description.equals(raXmlDescription(setting))) {
                problems.add("ra.xml: the description of " + setting.bean() + " (" + setting + ") differs from the table; it is\n  "
                        + description + "\nexpected\n  " + raXmlDescription(setting));
            }
        }
        declared.keySet().forEach(name -> problems.add("ra.xml: config-property " + name + " is no adapter property in Setting"));
        assertNoProblems(problems);
    }

    @Test
    void ironjacamarXmlSetsEveryAdapterPropertyFromItsSystemPropertyAndReadsNoOther() throws Exception {
        Document document = xml(IRONJACAMAR_XML);
        Map<String, String> set = new LinkedHashMap<>();
        NodeList properties = document.getElementsByTagName("config-property");
        for (int i = 0; i < properties.getLength(); i++) {
            Element property = (Element) properties.item(i);
            set.put(property.getAttribute("name"), property.getTextContent().strip());
        }
        List<String> problems = new ArrayList<>();
        for (Setting setting : adapterSettings()) {
            String value = set.remove(setting.bean());
            String expected = "${" + setting.key() + ":}";
            if (!expected.equals(value)) {
                problems.add("ironjacamar.xml: config-property " + setting.bean() + " is " + (value == null ? "missing" : value)
                        + "; expected <config-property name=\"" + setting.bean() + "\">" + expected + "</config-property>");
            }
        }
        set.keySet().forEach(name -> problems.add("ironjacamar.xml: config-property " + name + " is no adapter property in Setting"));
        String bootstrap = child(document.getDocumentElement(), "bootstrap-context");
        String expected = "${" + Setting.BOOTSTRAP_CONTEXT.key() + ":" + Setting.BOOTSTRAP_CONTEXT.defaultValue() + "}";
        if (!bootstrap.equals(expected)) {
            problems.add("ironjacamar.xml: bootstrap-context is " + bootstrap + "; expected " + expected);
        }
        Set<String> keys = Arrays.stream(Setting.values())
                .filter(s -> s.source() == Setting.Source.ADAPTER || s.source() == Setting.Source.ACTIVATION)
                .map(Setting::key).collect(Collectors.toSet());
        for (String read : expressions(document.getDocumentElement(), new TreeSet<>())) {
            if (!keys.contains(read)) {
                problems.add("ironjacamar.xml reads the system property " + read + ", which Setting does not define");
            }
        }
        assertNoProblems(problems);
    }

    @Test
    void readmeHasOneRowPerSettingWithTheTablesDefaultRangeUnitAndMeaning() throws IOException {
        List<String> lines = Files.readAllLines(README);
        Map<String, List<String>> rows = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals(README_HEADER)) {
                continue;
            }
            for (int row = i + 2; row < lines.size() && lines.get(row).startsWith("|"); row++) {
                List<String> cells = cells(lines.get(row));
                if (cells.size() != 5) {
                    problems.add("README.md line " + (row + 1) + ": " + cells.size() + " cells, not 5: " + lines.get(row));
                    continue;
                }
                if (rows.put(cells.get(0).replace("`", ""), cells) != null) {
                    problems.add("README.md line " + (row + 1) + ": " + cells.get(0) + " has a row already");
                }
            }
        }
        for (Setting setting : Setting.values()) {
            List<String> cells = rows.remove(setting.key());
            if (!cells(readmeRow(setting)).equals(cells)) {
                problems.add("README.md: the row of " + setting.key() + " (" + setting + ") is " + (cells == null ? "missing" : "\n  | "
                        + String.join(" | ", cells) + " |") + "\nexpected\n  " + readmeRow(setting));
            }
        }
        rows.keySet().forEach(key -> problems.add("README.md: a row for " + key + ", which Setting does not define"));
        Matcher named = Pattern.compile("outbox\\.[a-z]+(-[a-z]+)+|/system-property=(outbox\\.[a-z.-]+)").matcher(String.join("\n", lines));
        Set<String> keys = Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toSet());
        while (named.find()) {
            String key = named.group(2) != null ? named.group(2) : named.group();
            if (!keys.contains(key) && !key.equals(SmarthostPassword.REFUSED_PROPERTY)) {
                problems.add("README.md names the system property " + key + ", which Setting does not define");
            }
        }
        assertNoProblems(problems);
    }

    @Test
    void theAdapterHasAGetterAndSetterForEachAdapterPropertyAndNoOther() throws Exception {
        Set<String> getters = new TreeSet<>();
        Set<String> setters = new TreeSet<>();
        for (Method method : OutboxResourceAdapter.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(method.getModifiers()) || Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            if (method.getName().startsWith("get") && method.getParameterCount() == 0 && method.getReturnType() == String.class) {
                getters.add(method.getName().substring(3));
            } else if (method.getName().startsWith("set") && Arrays.equals(method.getParameterTypes(), new Class<?>[] {String.class})) {
                setters.add(method.getName().substring(3));
            }
        }
        Set<String> beans = adapterSettings().stream().map(Setting::bean).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(beans, getters, "the adapter's String getters against the adapter properties of Setting");
        assertEquals(beans, setters, "the adapter's String setters against the adapter properties of Setting");

        OutboxResourceAdapter adapter = new OutboxResourceAdapter();
        for (Setting setting : adapterSettings()) {
            OutboxResourceAdapter.class.getMethod("set" + setting.bean(), String.class).invoke(adapter, setting.key());
        }
        for (Setting setting : adapterSettings()) {
            assertEquals(setting.key(), OutboxResourceAdapter.class.getMethod("get" + setting.bean()).invoke(adapter),
                    "get" + setting.bean() + " returns what set" + setting.bean() + " was given, and no other property");
        }
    }

    @Test
    void theStoreReadsTheSwitchesTheTableDocuments() throws IOException {
        String sources;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            sources = files.filter(file -> file.toString().endsWith(".java")).map(SettingTableTest::read).collect(Collectors.joining("\n"));
        }
        for (Setting setting : Setting.values()) {
            if (setting.source() == Setting.Source.JVM) {
                assertTrue(sources.contains("\"" + setting.key() + "\""), setting + ": no source file reads " + setting.key());
            }
        }
    }

    /** The description ra.xml gives an adapter property: what an admin console shows beside it. */
    static String raXmlDescription(Setting setting) {
        return setting.key() + ": " + plain(setting.meaning()) + "."
                + (setting.unit().isEmpty() ? "" : " Unit: " + plain(setting.unit()) + ".")
                + (setting.range().isEmpty() ? "" : " Range: " + plain(setting.range()) + ".")
                + " Empty: " + plain(setting.shownDefault()) + ".";
    }

    /** The row README.md's settings table gives a setting. */
    static String readmeRow(Setting setting) {
        return "| `" + setting.key() + "` | " + setting.shownDefault() + " | " + setting.range() + " | " + setting.unit() + " | "
                + setting.meaning() + " |";
    }

    private static String raXmlEntry(Setting setting) {
        return "        <config-property>\n            <description>" + raXmlDescription(setting) + "</description>\n"
                + "            <config-property-name>" + setting.bean() + "</config-property-name>\n"
                + "            <config-property-type>java.lang.String</config-property-type>\n"
                + "            <config-property-value></config-property-value>\n        </config-property>";
    }

    private static List<Setting> adapterSettings() {
        return Arrays.stream(Setting.values()).filter(s -> s.source() == Setting.Source.ADAPTER).toList();
    }

    /** Markdown without its code marks. */
    private static String plain(String markdown) {
        return markdown.replace("`", "");
    }

    private static String kebab(String bean) {
        return bean.replaceAll("(?<=[a-z])(?=[A-Z])", "-").toLowerCase(java.util.Locale.ROOT);
    }

    private static List<String> cells(String row) {
        String inner = row.strip();
        inner = inner.substring(1, inner.endsWith("|") ? inner.length() - 1 : inner.length());
        return Arrays.stream(inner.split("\\|", -1)).map(String::strip).toList();
    }

    private static Document xml(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(file.toFile());
    }

    /** The text of {@code parent}'s first child element named {@code name}, whitespace folded; empty when there is none. */
    private static String child(Element parent, String name) {
        NodeList children = parent.getElementsByTagName(name);
        return children.getLength() == 0 ? "" : children.item(0).getTextContent().strip().replaceAll("\\s+", " ");
    }

    /** The system properties that {@code ${name:default}} expressions in elements' text and attributes read (comments left out). */
    private static Set<String> expressions(Node node, Set<String> found) {
        if (node.getNodeType() == Node.TEXT_NODE) {
            Matcher expression = Pattern.compile("\\$\\{([^:}]+)").matcher(node.getNodeValue());
            while (expression.find()) {
                found.add(expression.group(1));
            }
        }
        NamedNodeMap attributes = node.getAttributes();
        for (int i = 0; attributes != null && i < attributes.getLength(); i++) {
            expressions(attributes.item(i).getFirstChild() != null ? attributes.item(i).getFirstChild() : attributes.item(i), found);
        }
        for (Node child = node.getFirstChild(); child != null; child = child.getNextSibling()) {
            expressions(child, found);
        }
        return found;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    private static void assertNoProblems(List<String> problems) {
        assertTrue(problems.isEmpty(), problems.size() + " places differ from Setting:\n" + String.join("\n", problems));
    }
}
