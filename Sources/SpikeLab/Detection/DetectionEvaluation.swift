import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// What evaluating a detector on the test split gives: its loss, VOC and COCO mAP, and the
/// detections and ground truth in COCO's file formats, so `spikelab score detection` can
/// recompute the same numbers from the files.
///
/// Both mAPs are computed by the functions `spikelab score detection` uses, on the same
/// in-memory values the files hold: `map50` is VOC all-point AP@0.5 (`--metric voc`, difficult
/// boxes neither hit nor miss), `map` COCOeval's AP@[.50:.95] (`--metric coco`).
public struct DetectionEvaluation {
    /// Mean detection loss per image.
    public var loss: Double
    /// VOC all-point mAP@0.5 (nil when no class has a non-difficult object).
    public var map50: Double?
    /// COCO mAP@[.50:.95] (COCOeval's first statistic; −1 when undefined, as pycocotools).
    public var map: Double
    /// Spikes per neuron per step over the spiking layers (NaN for an ANN).
    public var firingRate: Double
    /// Images evaluated.
    public var samples: Int
    /// The detections in original image pixels, COCO results format.
    public var detections: [COCODetection]
    /// The ground truth of the evaluated images, COCO instances format (`iscrowd` marks VOC's
    /// difficult boxes and COCO's crowds).
    public var groundTruth: COCOInstances
    /// Per evaluated image: dataset index and its detections (original pixels, best first).
    public var perImage: [(index: Int, detections: [Detection])]
}

/// How detection runs read data and turn network outputs into scored boxes.
public enum DetectionPipeline {
    /// The training and test sets of a detection loader (VOC: `train`/`val` image sets of
    /// VOC2012 or the demo set; COCO: `train2017`/`val2017`).
    public static func datasets(_ data: DataSettings) throws -> (train: any DetectionDataset, test: any DetectionDataset) {
        do {
            switch data.loader {
            case .vocDetection:
                let names = vocClassNames(root: data.expandedRoot)
                return (try VOCDetectionDataset(root: data.expandedRoot, split: .train, classNames: names),
                        try VOCDetectionDataset(root: data.expandedRoot, split: .test, classNames: names))
            case .cocoDetection:
                return (try COCODetectionDataset(root: data.expandedRoot, split: .train),
                        try COCODetectionDataset(root: data.expandedRoot, split: .test))
            default:
                throw BuildError.unsupported(keyPath: "data.loader", value: data.loader.rawValue,
                                             supported: ["voc_detection", "coco_detection"])
            }
        } catch let error as DataError {
            throw BuildError.data(error.description)
        }
    }

    /// The object classes of a VOC-layout folder: the 10 Fashion-MNIST classes of the demo
    /// scenes when `spikelab data make-demo` made the folder (its marker file says so), else
    /// VOC's 20.
    static func vocClassNames(root: String) -> [String] {
        let marker = (try? String(contentsOfFile: root + "/" + DemoMarker.fileName, encoding: .utf8)) ?? ""
        return marker.hasPrefix("fashion-scenes") ? FashionScenes.classNames : PascalVOC.classNames
    }

    /// A batch's objects as the loss takes them (boxes already in input pixels).
    public static func objects(_ target: DetectionTarget) -> [DetectionObject] {
        zip(target.boxes, target.classes).map { box, label in
            DetectionObject(box: DetectionBox(xMin: box.xMin, yMin: box.yMin, xMax: box.xMax, yMax: box.yMax),
                            classIndex: Int(label))
        }
    }

    /// A detection of the (letterboxed, maybe flipped) input mapped back onto the original
    /// image and clipped to it.
    public static func original(_ detection: Detection, geometry: ImageGeometry, flipped: Bool,
                                width: Int, height: Int) -> Detection {
        var b = detection.box
        if flipped {
            let side = Float(geometry.outputWidth)
            b = DetectionBox(xMin: side - b.xMax, yMin: b.yMin, xMax: side - b.xMin, yMax: b.yMax)
        }
        let u = geometry.unmap(BoundingBox(xMin: b.xMin, yMin: b.yMin, xMax: b.xMax, yMax: b.yMax))
        let clipped = DetectionBox(xMin: min(max(u.xMin, 0), Float(width)), yMin: min(max(u.yMin, 0), Float(height)),
                                   xMax: min(max(u.xMax, 0), Float(width)), yMax: min(max(u.yMax, 0), Float(height)))
        return Detection(box: clipped, classIndex: detection.classIndex, score: detection.score)
    }

    /// COCO image id of a target: its own id when the dataset's ids are numbers (COCO), else
    /// its position in the evaluated list + 1 (VOC's ids are file stems).
    static func imageID(_ target: DetectionTarget, position: Int) -> Int {
        Int(target.imageID) ?? position + 1
    }

    /// COCO category ids of the dataset's classes: COCO's own, else class index + 1.
    static func categoryIDs(_ dataset: any DetectionDataset) -> [Int] {
        if let coco = dataset as? COCODetectionDataset { return coco.instances.categories.map(\.id) }
        return Array(1...dataset.classNames.count)
    }

    /// Evaluates `model` on every batch of `batcher` in eval mode without gradients (the model
    /// is put back into training mode), decoding with `decoder`.
    public static func evaluate(_ model: any ClassifierModel, on batcher: DetectionBatcher, loss: YOLOLoss,
                                decoder: YOLODecoder) throws -> DetectionEvaluation {
        let dataset = batcher.dataset
        let categories = categoryIDs(dataset)
        var images: [COCOInstances.Image] = [], annotations: [COCOInstances.Annotation] = []
        var detections: [COCODetection] = []
        var perImage: [(index: Int, detections: [Detection])] = []
        var lossSum = 0.0, seen = 0
        batcher.restore(.start)
        let firingRate = try evaluatingWithFiringRate(model) {
            while let batch = try batcher.next() {
                let output = model(batch.inputs)
                let placed = batch.detection!
                let objects = placed.targets.map(Self.objects)
                lossSum += Double(loss(output, objects: objects).total.item) * Double(batch.count)
                for (row, found) in decoder(output).enumerated() {
                    let index = batch.sampleIndices[row], original = dataset.target(at: index)
                    let id = imageID(original, position: seen + row)
                    images.append(COCOInstances.Image(id: id, fileName: original.imageID, width: original.imageWidth,
                                                      height: original.imageHeight))
                    for k in 0..<original.count {
                        let b = original.boxes[k]
                        annotations.append(COCOInstances.Annotation(
                            id: annotations.count + 1, imageID: id, categoryID: categories[Int(original.classes[k])],
                            bbox: [Double(b.xMin), Double(b.yMin), Double(b.width), Double(b.height)],
                            isCrowd: original.difficult[k] || original.crowd[k]))
                    }
                    let mapped = found.map {
                        Self.original($0, geometry: placed.geometries[row], flipped: placed.flipped[row],
                                 width: original.imageWidth, height: original.imageHeight)
                    }
                    perImage.append((index, mapped))
                    for d in mapped {
                        detections.append(COCODetection(imageID: id, categoryID: categories[d.classIndex],
                                                        bbox: [Double(d.box.xMin), Double(d.box.yMin),
                                                               Double(d.box.width), Double(d.box.height)],
                                                        score: Double(d.score)))
                    }
                }
                seen += batch.count
            }
        }
        let categoryList = zip(categories, dataset.classNames).map { COCOInstances.Category(id: $0, name: $1) }
        let truth = COCOInstances(images: images, annotations: annotations, categories: categoryList)
        let voc = try VOCEvaluation.evaluate(groundTruth: truth, detections: detections, method: .allPoint)
        let coco = try COCOEvaluation.evaluate(groundTruth: truth, detections: detections)
        return DetectionEvaluation(loss: lossSum / Double(max(seen, 1)), map50: voc.evaluation.mAP, map: coco.stats[0],
                                   firingRate: firingRate, samples: seen,
                                   detections: detections, groundTruth: truth, perImage: perImage)
    }

    /// Writes `ground_truth.json` (COCO instances) and `<name>.json` (COCO results) into `directory`.
    public static func write(_ evaluation: DetectionEvaluation, to directory: String, name: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try evaluation.groundTruth.write(to: directory + "/ground_truth.json")
            let temporary = directory + "/\(name).json.tmp"
            try COCOResults.encoded(evaluation.detections).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, directory + "/\(name).json") == 0 else {
                throw RunError.io(path: directory + "/\(name).json", reason: String(cString: strerror(errno)))
            }
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.io(path: directory, reason: "\(error)")
        }
    }
}
