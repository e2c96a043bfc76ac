// ImageNet-style ImageFolder (split/class/*.JPEG): scanning, JPEG decoding with SkiaSharp, and the published crops.
using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using SkiaSharp;

namespace SnnDsl.Core.Data;

/// <summary>The files of one split of an ImageFolder tree: root/{train,val}/&lt;class&gt;/*.JPEG.</summary>
public sealed class ImageFolder
{
    static readonly string[] Extensions = [".jpeg", ".jpg", ".png"];

    ImageFolder(string folder, IReadOnlyList<string> classes, IReadOnlyList<(string Path, int Label)> files, IReadOnlyList<string> emptyClasses)
    {
        Folder = folder;
        Classes = classes;
        Files = files;
        EmptyClasses = emptyClasses;
    }

    /// <summary>The split folder that was scanned.</summary>
    public string Folder { get; }

    /// <summary>Class names (sub-folder names, ordinal order; the label is the index).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Image files with their labels, by class then ordinal file name.</summary>
    public IReadOnlyList<(string Path, int Label)> Files { get; }

    /// <summary>Messages for the class folders without images (only when opened with keepEmptyClasses).</summary>
    public IReadOnlyList<string> EmptyClasses { get; }

    /// <summary>
    /// Scans root/train (Train) or root/val (Test). A missing split folder is an error; so is an empty class folder,
    /// unless <paramref name="keepEmptyClasses"/>: then the class keeps its label, has no samples, and is listed in
    /// <see cref="EmptyClasses"/> (labels stay those of the folder names, so train and val still agree).
    /// </summary>
    public static ImageFolder Open(string root, Split split, bool keepEmptyClasses = false)
    {
        var folder = Path.Combine(root, split == Split.Train ? "train" : "val");
        if (!Directory.Exists(folder))
            throw new DataException($"folder {folder} does not exist; expected the ImageFolder layout {root}/train/<class>/*.JPEG and {root}/val/<class>/*.JPEG");
        var classes = Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0) throw new DataException($"folder {folder} has no class folders; expected {folder}/<class>/*.JPEG");
        var files = new List<(string, int)>();
        var empty = new List<string>();
        for (var label = 0; label < classes.Length; label++)
        {
            var classFolder = Path.Combine(folder, classes[label]);
            var (images, unreadable) = ImagesIn(classFolder);
            if (images.Length == 0 && !keepEmptyClasses) throw new DataException(unreadable ?? NoImages(classFolder));
            if (images.Length == 0) empty.Add($"{unreadable ?? NoImages(classFolder)}; class '{classes[label]}' (label {label}) has no samples");
            files.AddRange(images.Select(f => (f, label)));
        }
        if (files.Count == 0) throw new DataException($"folder {folder} has no images in any class folder");
        return new ImageFolder(folder, classes, files, empty);
    }

    static string NoImages(string classFolder) => $"class folder {classFolder} has no images (.JPEG, .jpg or .png)";

    /// <summary>The images of a class folder, or none and why when the folder cannot be listed.</summary>
    static (string[] Images, string? Unreadable) ImagesIn(string classFolder)
    {
        try
        {
            return (Directory.GetFiles(classFolder).Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToArray(), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ([], $"class folder {classFolder} could not be listed ({e.Message})");
        }
    }
}

/// <summary>ImageNet preprocessing: training random-resized-crop + flip, or test resize + centre crop; then normalise.</summary>
/// <param name="Train">Random-resized-crop (scale 0.08–1, ratio 3/4–4/3) and flip; false: resize short side, centre crop.</param>
/// <param name="Size">Output side (224).</param>
/// <param name="ResizeTo">Short side before the test centre crop (256).</param>
/// <param name="Normalise">Per-channel mean/std; null keeps x/255.</param>
public sealed record ImageNetTransform(bool Train, int Size = 224, int ResizeTo = 256, Normalisation? Normalise = null)
{
    /// <summary>Published training transform with ImageNet normalisation.</summary>
    public static readonly ImageNetTransform TrainDefault = new(true, Normalise: Normalisation.ImageNet);

    /// <summary>Published test transform with ImageNet normalisation.</summary>
    public static readonly ImageNetTransform TestDefault = new(false, Normalise: Normalisation.ImageNet);
}

/// <summary>
/// Decodes and transforms ImageFolder images per sample ([3, Size, Size] float32). An undecodable file is reported
/// once on standard error, counted in <see cref="Failures"/>, and replaced by the next readable image (with its label),
/// so one bad file does not stop a long run.
/// </summary>
public sealed class ImageFolderSource(ImageFolder folder, ImageNetTransform transform) : ISampleSource
{
    const int MaxSubstitutions = 16;
    readonly ConcurrentDictionary<string, string> _failures = new();

    /// <summary>"file: reason" for each image that could not be decoded so far.</summary>
    public IReadOnlyCollection<string> Failures => _failures.Values.ToArray();

    /// <inheritdoc/>
    public int Count => folder.Files.Count;

    /// <inheritdoc/>
    public int ClassCount => folder.Classes.Count;

    /// <inheritdoc/>
    public long[] SampleShape => [3, transform.Size, transform.Size];

    /// <inheritdoc/>
    public int Label(int index) => folder.Files[index].Label;

    /// <inheritdoc/>
    public int Prepare(int index, Random rng, Span<float> destination)
    {
        for (var attempt = 0; attempt < MaxSubstitutions; attempt++)
        {
            var (path, label) = folder.Files[(index + attempt) % Count];
            try
            {
                ImageDecoding.Transform(path, transform, rng, destination);
                return label;
            }
            catch (DataException e)
            {
                if (_failures.TryAdd(path, e.Message)) Console.Error.WriteLine($"snndsl: skipping image: {e.Message}");
            }
        }
        throw new DataException($"{folder.Folder}: {MaxSubstitutions} consecutive images from index {index} could not be decoded");
    }
}

/// <summary>Decoding and crop geometry for <see cref="ImageFolderSource"/>.</summary>
public static class ImageDecoding
{
    static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>
    /// The most pixels an image may claim (64 megapixels: 256 MB decoded). The largest ImageNet photographs have about
    /// 15; a header claiming more is refused before any pixel memory is allocated (a "decompression bomb").
    /// </summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    /// <summary>Decodes <paramref name="path"/> fully (an incomplete or corrupt file is a <see cref="DataException"/>).</summary>
    public static SKBitmap Decode(string path)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: file not found");
        using var codec = SKCodec.Create(path, out var opened)
            ?? throw new DataException($"{path}: not a decodable image ({opened})");
        if ((long)codec.Info.Width * codec.Info.Height > MaxPixels)
            throw new DataException($"{path}: its header claims {codec.Info.Width}x{codec.Info.Height} pixels, more than the {MaxPixels / (1024 * 1024)} megapixels an image may have");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success) return bitmap;
        bitmap.Dispose();
        throw new DataException($"{path}: image decoding failed ({result}); the file is truncated or corrupt");
    }

    /// <summary>Decodes, crops and resizes to [3, Size, Size], flips (training), converts and normalises.</summary>
    public static void Transform(string path, ImageNetTransform transform, Random rng, Span<float> destination)
    {
        using var bitmap = Decode(path);
        var crop = transform.Train
            ? RandomResizedCrop(bitmap.Width, bitmap.Height, rng)
            : CentreCrop(bitmap.Width, bitmap.Height, transform.ResizeTo, transform.Size);
        var flip = transform.Train && rng.Next(2) == 1;
        using var output = Resample(bitmap, crop, transform.Size);
        ToChw(output.GetPixelSpan(), transform.Size, flip, transform.Normalise, destination);
    }

    /// <summary>torchvision RandomResizedCrop parameters (scale 0.08–1, log-uniform ratio 3/4–4/3, 10 tries, then centre).</summary>
    public static SKRectI RandomResizedCrop(int width, int height, Random rng)
    {
        var area = (double)width * height;
        var (logLo, logHi) = (Math.Log(3.0 / 4.0), Math.Log(4.0 / 3.0));
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (0.08 + rng.NextDouble() * 0.92);
            var ratio = Math.Exp(logLo + rng.NextDouble() * (logHi - logLo));
            var w = (int)Math.Round(Math.Sqrt(target * ratio));
            var h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w <= 0 || w > width || h <= 0 || h > height) continue;
            var top = rng.Next(height - h + 1);
            var left = rng.Next(width - w + 1);
            return SKRectI.Create(left, top, w, h);
        }
        return FallbackCrop(width, height);
    }

    /// <summary>The test crop in source pixels: resize the short side to <paramref name="resizeTo"/>, then take the centre size×size.</summary>
    public static SKRectI CentreCrop(int width, int height, int resizeTo, int size)
    {
        var scale = (double)resizeTo / Math.Min(width, height);
        var (scaledW, scaledH) = ((int)(width * scale), (int)(height * scale));
        if (width <= height) scaledW = resizeTo; else scaledH = resizeTo;
        var (top, left) = ((int)Math.Round((scaledH - size) / 2.0), (int)Math.Round((scaledW - size) / 2.0));
        return SKRectI.Create((int)Math.Round(left / scale), (int)Math.Round(top / scale),
            Math.Max(1, (int)Math.Round(size / scale)), Math.Max(1, (int)Math.Round(size / scale)));
    }

    static SKRectI FallbackCrop(int width, int height)
    {
        var ratio = (double)width / height;
        var (w, h) = ratio < 3.0 / 4.0 ? (width, (int)Math.Round(width / (3.0 / 4.0)))
            : ratio > 4.0 / 3.0 ? ((int)Math.Round(height * (4.0 / 3.0)), height)
            : (width, height);
        return SKRectI.Create((width - w) / 2, (height - h) / 2, w, h);
    }

    static SKBitmap Resample(SKBitmap source, SKRectI crop, int size)
    {
        var output = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(output);
        using var image = SKImage.FromBitmap(source);
        canvas.DrawImage(image, crop, SKRect.Create(size, size), Sampling, null);
        canvas.Flush();
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ToChw(ReadOnlySpan<byte> rgba, int size, bool flip, Normalisation? normalise, Span<float> destination)
    {
        var plane = size * size;
        for (var c = 0; c < 3; c++)
        {
            var (mean, std) = normalise is null ? (0f, 1f) : (normalise.Mean[c], normalise.Std[c]);
            var (scale, shift) = (1f / (255f * std), -mean / std);
            var channel = destination.Slice(c * plane, plane);
            for (var y = 0; y < size; y++)
                for (var x = 0; x < size; x++)
                    channel[y * size + x] = rgba[(y * size + (flip ? size - 1 - x : x)) * 4 + c] * scale + shift;
        }
    }
}
