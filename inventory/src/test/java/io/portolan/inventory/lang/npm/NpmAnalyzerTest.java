package io.portolan.inventory.lang.npm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portolan.inventory.analyzer.AnalysisException;
import io.portolan.inventory.analyzer.FileFindings;
import io.portolan.inventory.analyzer.Package;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Path filter, package.json and lock-file tests for {@link NpmAnalyzer}; see lang/npm/PROVENANCE.tsv. */
class NpmAnalyzerTest {
  private final NpmAnalyzer analyzer = new NpmAnalyzer();

  @Test
  void wantsPackageJsonDirectlyInsidePackageDirectories() {
    assertThat(analyzer.wants("node_modules/lodash/package.json")).isTrue();
    assertThat(analyzer.wants("app/node_modules/lodash/package.json")).isTrue();
    assertThat(analyzer.wants("app/node_modules/@babel/core/package.json")).isTrue();
    assertThat(analyzer.wants("app/node_modules/a/node_modules/b/package.json")).isTrue();
    assertThat(analyzer.wants("app/node_modules/a/node_modules/@s/b/package.json")).isTrue();
    assertThat(analyzer.wants("app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json")).isTrue();
    assertThat(analyzer.wants("usr/lib/node_modules/npm/package.json")).isTrue();
  }

  @Test
  void doesNotWantOtherPackageJsonFiles() {
    assertThat(analyzer.wants("app/package.json")).isFalse();
    assertThat(analyzer.wants("package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/@babel/package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/lodash/lib/package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/@babel/core/lib/package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/.bin/package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/@/x/package.json")).isFalse();
    assertThat(analyzer.wants("my_node_modules/x/package.json")).isFalse();
    assertThat(analyzer.wants("node_modules/lodash/package.json.bak")).isFalse();
    assertThat(analyzer.wants("node_modules/lodash/index.js")).isFalse();
  }

  @Test
  void wantsLockFilesOutsideNodeModulesOnly() {
    assertThat(analyzer.wants("app/package-lock.json")).isTrue();
    assertThat(analyzer.wants("package-lock.json")).isTrue();
    assertThat(analyzer.wants("srv/web/yarn.lock")).isTrue();
    assertThat(analyzer.wants("srv/web/pnpm-lock.yaml")).isTrue();
    assertThat(analyzer.wants("app/node_modules/foo/yarn.lock")).isFalse();
    assertThat(analyzer.wants("node_modules/foo/package-lock.json")).isFalse();
    assertThat(analyzer.wants("app/node_modules/.package-lock.json")).isFalse();
    assertThat(analyzer.wants("app/npm-lock.json")).isFalse();
  }

  @Test
  void packageJsonGivesNameVersionLicenseAndPurl() throws IOException {
    Package p = single("app/node_modules/lodash/package.json", """
        {"name": "lodash", "version": "4.17.20", "description": "x",
         "scripts": {"test": "echo"}, "dependencies": {"a": "^1"}, "license": "MIT"}
        """);
    assertThat(p.type()).isEqualTo("npm");
    assertThat(p.name()).isEqualTo("lodash");
    assertThat(p.version()).isEqualTo("4.17.20");
    assertThat(p.license()).isEqualTo("MIT");
    assertThat(p.purl()).isEqualTo("pkg:npm/lodash@4.17.20");
    assertThat(p.properties()).isEmpty();
  }

  @Test
  void scopedPackagePurlEncodesTheScope() throws IOException {
    Package p = single("node_modules/@babel/core/package.json",
        "{\"version\": \"7.24.0\", \"license\": {\"type\": \"MIT\", \"url\": \"u\"}, \"name\": \"@babel/core\"}");
    assertThat(p.name()).isEqualTo("@babel/core");
    assertThat(p.license()).isEqualTo("MIT");
    assertThat(p.purl()).isEqualTo("pkg:npm/%40babel/core@7.24.0");
  }

  @Test
  void legacyLicensesArrayAndNameFromManifestForAliases() throws IOException {
    // npm i string-width-cjs@npm:string-width@4 installs under the alias; the manifest has the real name.
    Package p = single("node_modules/string-width-cjs/package.json", """
        {"readme": "# big\\n", "licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}],
         "name": "string-width", "version": "4.2.3", "_where": {"nested": [1, {"a": null}]}}
        """);
    assertThat(p.name()).isEqualTo("string-width");
    assertThat(p.license()).isEqualTo("(MIT OR Apache-2.0)");
    assertThat(p.purl()).isEqualTo("pkg:npm/string-width@4.2.3");
  }

  @Test
  void manifestWithoutVersionIsNoPackage() throws IOException {
    assertThat(analyze("node_modules/x/package.json", "{\"name\": \"x\", \"private\": true}").packages()).isEmpty();
  }

  @Test
  void corruptPackageJsonNamesFileAndLine() {
    assertThatThrownBy(() -> analyze("node_modules/x/package.json", "{\n  \"name\": \"x\",\n  \"version\": 1.0.0\"\n}"))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining("node_modules/x/package.json")
        .hasMessageContaining("line 3");
    assertThatThrownBy(() -> analyze("node_modules/x/package.json", "[1, 2]"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> analyze("node_modules/x/package.json", "{\"name\": \"x\""))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("node_modules/x/package.json");
  }

  @Test
  void oversizedPackageJsonIsRefusedUnread() {
    NpmAnalyzer small = new NpmAnalyzer(16);
    assertThatThrownBy(() -> small.analyze("node_modules/x/package.json",
        new ByteArrayInputStream(new byte[64]), 64))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("limit");
  }

  @Test
  void packageLockV1WalksTheTreeAndKeepsProductionCopiesOfDevPackages() throws IOException {
    List<Package> packages = analyzeResource("app/package-lock.json", "package-lock-v1-groups.json").packages();
    assertThat(summary(packages)).containsExactly("ajv@5.5.2", "eslint@1.2.3 dev", "table@1.0.0");
    assertThat(packages).allSatisfy(p -> assertThat(p.properties()).containsEntry("source", "lockfile"));
  }

  @Test
  void packageLockV1Aliases() throws IOException {
    List<Package> packages = analyzeResource("app/package-lock.json", "package-lock-v1-alias.json").packages();
    assertThat(summary(packages)).containsExactly("@babel/code-frame@7.0.0", "string-width@4.2.0",
        "string-width@5.1.2");
    assertThat(packages.get(0).purl()).isEqualTo("pkg:npm/%40babel/code-frame@7.0.0");
  }

  @Test
  void packageLockV2UsesThePackagesMap() throws IOException {
    List<Package> packages = analyzeResource("app/package-lock.json", "package-lock-v2-groups.json").packages();
    // devOptional is not dev-only, so the nested ajv keeps ajv in production.
    assertThat(summary(packages)).containsExactly("ajv@5.5.2", "eslint@1.2.3 dev", "table@1.0.0");
  }

  @Test
  void packageLockV3SkipsRootWorkspacesAndLinks() throws IOException {
    List<Package> packages = analyzeResource("app/package-lock.json", "package-lock-v3-workspace.json").packages();
    assertThat(summary(packages)).containsExactly("debug@2.5.2", "debug@2.6.9", "ms@0.7.2", "ms@2.0.0");
  }

  @Test
  void corruptPackageLock() {
    assertThatThrownBy(() -> analyze("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\n\"node_modules/a\": {\"version\": }}}"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("package-lock.json").hasMessageContaining("line 2");
    assertThatThrownBy(() -> analyze("package-lock.json", "{\"packages\": [1]}"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("not an object");
    assertThatThrownBy(() -> analyze("package-lock.json", "{\"dependencies\": {\"a\": 1}}"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("dependency a");
  }

  @Test
  void yarnClassicWithAliasesAndQuotedKeys() throws IOException {
    List<Package> packages = analyzeResource("app/yarn.lock", "yarn-v1-aliases.lock").packages();
    assertThat(summary(packages)).containsExactly("@rootio/braces@3.0.2-root.io.1", "@rootio/ip@2.0.0-root.io.1",
        "fill-range@7.0.1", "lodash-es@4.17.21");
    assertThat(packages).allSatisfy(p -> assertThat(p.properties()).isEqualTo(Map.of("source", "lockfile")));
    assertThat(summary(analyzeResource("app/yarn.lock", "yarn-v1-quoted-keys.lock").packages()))
        .containsExactly("jquery@3.6.0");
  }

  @Test
  void yarnBerrySkipsWorkspacesAndPatches() throws IOException {
    List<Package> packages = analyzeResource("app/yarn.lock", "yarn-berry.lock").packages();
    assertThat(summary(packages)).containsExactly("@types/color-name@1.1.1", "abbrev@1.1.1", "ansi-styles@3.2.1",
        "ansi-styles@4.2.1", "assert-plus@1.0.0", "async@3.2.0", "color-convert@1.9.3", "color-convert@2.0.1",
        "color-name@1.1.3", "color-name@1.1.4", "ipaddr.js@1.9.1", "js-tokens@4.0.0", "loose-envify@1.4.0",
        "node-gyp@7.1.0", "once@1.4.0", "wrappy@1.0.2");
    assertThat(packages.get(0).purl()).isEqualTo("pkg:npm/%40types/color-name@1.1.1");
  }

  @Test
  void corruptYarnLock() {
    assertThatThrownBy(() -> analyze("yarn.lock", "# yarn lockfile v1\n\nfoo@^1:\n  resolved \"x\"\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 3").hasMessageContaining("no version");
    assertThatThrownBy(() -> analyze("yarn.lock", "foo@^1:\n  version \"1.0.0\"\nthis is not yarn\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 3 (offset 26)");
    assertThatThrownBy(() -> analyze("yarn.lock", "foo@^1:\n  version \"1\0\"\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("NUL");
  }

  @Test
  void pnpmV6MarksDevPackages() throws IOException {
    List<Package> packages = analyzeResource("app/pnpm-lock.yaml", "pnpm-lock-v6.yaml").packages();
    assertThat(summary(packages)).containsExactly("@babel/runtime@7.22.3", "@ungap/promise-all-settled@1.1.2 dev",
        "debug@4.3.4 dev", "fsevents@2.3.2 dev", "js-tokens@4.0.0", "loose-envify@1.4.0", "mocha@10.0.0 dev",
        "react@18.1.0", "redux@4.2.0", "regenerator-runtime@0.13.11");
  }

  @Test
  void pnpmV9DerivesDevFromTheImporterGraph() throws IOException {
    List<Package> packages = analyzeResource("app/pnpm-lock.yaml", "pnpm-lock-v9.yaml").packages();
    assertThat(summary(packages)).containsExactly("@babel/helper-string-parser@7.24.1", "asap@2.0.6",
        "asynckit@0.4.0", "await-sleep@0.0.1 dev", "debug@4.3.4", "debug@4.3.5", "ee-first@1.1.1", "encodeurl@1.0.2",
        "escape-html@1.0.3", "finalhandler@1.1.1", "is-negative@2.0.1", "jquery@3.6.0 dev", "lodash@4.17.21 dev",
        "ms@2.0.0", "ms@2.1.2", "on-finished@2.3.0", "parseurl@1.3.3", "promise@8.1.0", "sleep-utils@1.0.3",
        "statuses@1.4.0", "unpipe@1.0.0");
  }

  @Test
  void pnpmV5Ids() throws IOException {
    List<Package> packages = analyze("pnpm-lock.yaml", """
        lockfileVersion: 5.4

        specifiers:
          '@babel/core': ^7.0.0

        dependencies:
          '@babel/core': 7.20.0_react@18.2.0

        packages:

          /@babel/core/7.20.0_react@18.2.0:
            resolution: {integrity: sha512-x}
            dev: false

          /ms/2.1.3:
            resolution: {integrity: sha512-y}
            dev: true
        """).packages();
    assertThat(summary(packages)).containsExactly("@babel/core@7.20.0", "ms@2.1.3 dev");
  }

  @Test
  void corruptPnpmLock() {
    assertThatThrownBy(() -> analyze("pnpm-lock.yaml", "packages:\n  /a@1.0.0:\n    dev: true\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("no lockfileVersion");
    assertThatThrownBy(() -> analyze("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  just some words\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("line 3 (offset 33)");
    assertThatThrownBy(() -> analyze("pnpm-lock.yaml", "lockfileVersion: banana\n"))
        .isInstanceOf(AnalysisException.class).hasMessageContaining("unsupported lockfileVersion");
  }

  private static List<String> summary(List<Package> packages) {
    return packages.stream()
        .map(p -> p.name() + "@" + p.version() + ("true".equals(p.properties().get("dev")) ? " dev" : ""))
        .collect(Collectors.toList());
  }

  private Package single(String path, String json) throws IOException {
    List<Package> packages = analyze(path, json).packages();
    assertThat(packages).hasSize(1);
    return packages.get(0);
  }

  private FileFindings analyze(String path, String text) throws IOException {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    assertThat(analyzer.wants(path)).isTrue();
    List<FileFindings> findings = analyzer.analyze(path, new ByteArrayInputStream(data), data.length);
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).analyzer()).isEqualTo("npm");
    assertThat(findings.get(0).path()).isEqualTo(path);
    return findings.get(0);
  }

  private FileFindings analyzeResource(String path, String resource) throws IOException {
    try (InputStream in = NpmAnalyzerTest.class.getResourceAsStream("/lang/npm/" + resource)) {
      assertThat(in).as(resource).isNotNull();
      return analyze(path, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
