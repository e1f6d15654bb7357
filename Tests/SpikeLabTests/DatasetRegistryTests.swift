import Foundation
import SpikeData
import Testing
@testable import SpikeLab

private let registryPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../datasets/registry.yaml").standardizedFileURL.path

@Suite("Dataset registry")
struct DatasetRegistryTests {
    @Test("The committed registry passes its schema and lists every paper dataset")
    func committedRegistry() throws {
        let registry = try DatasetRegistry.load(registryPath)
        let names = registry.datasets.map(\.name)
        #expect(names == ["fashion_mnist", "mnist", "cifar10", "cifar100", "tinyimagenet", "imagenet", "nmnist", "cifar10_dvs",
                          "dvs128_gesture", "shd", "speech_commands", "voc2012", "coco2017"])
        for spec in registry.datasets {
            #expect(!spec.files.isEmpty, "\(spec.name)")
            #expect(Set(spec.files.map(\.name)).count == spec.files.count, "\(spec.name): file names repeat")
            for file in spec.files {
                #expect(!file.urls.isEmpty || file.manualInstructions != nil, "\(spec.name)/\(file.name)")
                if file.hasChecksum { #expect(file.checksumSource != nil, "\(spec.name)/\(file.name)") }
                if file.extract != .none { #expect(!spec.layout.isEmpty, "\(spec.name): an archive needs a layout to check") }
            }
        }
        #expect(registry.named("cifar10")?.files.first?.checksums == [
            Checksum(.md5, "c32a1d4ab5d03f1284b67883e8d87530"),
            Checksum(.sha256, "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")])
        #expect(registry.named("dvs128_gesture")?.files.allSatisfy { $0.urls.isEmpty } == true)
        // ImageNet needs a login: fetch must print instructions, never try a URL.
        #expect(registry.named("imagenet")?.files.allSatisfy { $0.urls.isEmpty && $0.manualInstructions?.contains("log in") == true } == true)
        #expect(registry.named("shd")?.files.allSatisfy { !$0.hasChecksum } == true)
        #expect(registry.suggestion(for: "cifar-10") == "cifar10")
    }

    @Test("Schema errors name the file, line, key path and what is allowed")
    func schemaErrors() {
        let text = """
            format: spikelab-dataset-registry
            version: 1
            datasets:
              toy:
                title: Toy
                homepage: http://example.org
                licence: CC0
                files:
                  - name: a.zip
                    urls: [ftp://example.org/a.zip]
                    md5: 1234
                    extract: zipp
                  - name: ../b.bin
                    size: -3
                layout:
                  - {file: x, count: 3}
                  - {folder: y}
            """
        do {
            _ = try DatasetRegistry.parse(text, file: "reg.yaml")
            Issue.record("a broken registry was accepted")
        } catch let errors as RegistryErrors {
            let lines = errors.errors.map(\.description)
            let expected = [
                "reg.yaml:10:16: datasets.toy.files[0].urls[0]: 'ftp://example.org/a.zip' is not an http:// or https:// URL",
                "reg.yaml:11:14: datasets.toy.files[0].md5: expected 32 hex digits (an md5 digest) or null when none is published, found '1234'",
                "reg.yaml:12:18: datasets.toy.files[0].extract: 'zipp' is not allowed; did you mean 'zip'?; allowed: none, tar, tar.gz, zip, gzip",
                "reg.yaml:13:15: datasets.toy.files[1].name: '../b.bin' must be a relative path under the dataset root without '..'",
                "reg.yaml:13:9: datasets.toy.files[1]: a file needs 'urls' or, when it cannot be downloaded automatically, 'manual' instructions",
                "reg.yaml:14:15: datasets.toy.files[1].size: expected an integer >= 0 (or null when unknown), found '-3'",
                "reg.yaml:16:9: datasets.toy.layout[0]: 'count', 'pattern' and 'recursive' apply to 'dir' entries only",
                "reg.yaml:17:10: datasets.toy.layout[1].folder: unknown key 'folder'; allowed here: file, dir, size, count, pattern, recursive",
                "reg.yaml:17:9: datasets.toy.layout[1]: a layout entry needs exactly one of 'file: PATH' or 'dir: PATH'",
            ]
            #expect(lines == expected, "\(lines.joined(separator: "\n"))")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("A YAML syntax error and an unreadable file are located errors too")
    func syntaxErrors() {
        #expect { _ = try DatasetRegistry.parse("datasets: [a, b\n", file: "bad.yaml") } throws: { error in
            "\(error)".contains("bad.yaml:") && "\(error)".contains("YAML syntax error")
        }
        #expect { _ = try DatasetRegistry.load("/nonexistent/registry.yaml") } throws: { error in
            "\(error)".contains("/nonexistent/registry.yaml: cannot read the dataset registry")
        }
    }

    @Test("Fashion-MNIST from the Debian package verifies against the registry (its re-compressed copies)",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")))
    func debianFashionMNIST() throws {
        let spec = try #require(try DatasetRegistry.load(registryPath).named("fashion_mnist"))
        let report = try DatasetVerifier.verify(spec, root: "/usr/share/datasets/fashion-mnist")
        #expect(report.isComplete, "\(report)")
        #expect(report.lines.filter { $0.contains("match Debian package dataset-fashion-mnist") }.count == 4, "\(report)")
    }
}
