// The CIFAR-10 AutoAugment policy of Cubuk et al. (25 sub-policies), with torchvision's magnitude bins.
namespace SnnDsl.Core.Data;

/// <summary>The image operations AutoAugment draws from.</summary>
public enum AugmentOp
{
    ShearX, ShearY, TranslateX, TranslateY, Rotate, Brightness, Color, Contrast, Sharpness,
    Posterize, Solarize, AutoContrast, Equalize, Invert,
}

/// <summary>One step of a sub-policy: apply <see cref="Op"/> with probability <see cref="Probability"/> at magnitude bin <see cref="Bin"/>.</summary>
public readonly record struct PolicyStep(AugmentOp Op, double Probability, int Bin);

/// <summary>
/// torchvision.transforms.AutoAugment(AutoAugmentPolicy.CIFAR10): per image, one of the 25 sub-policies is chosen
/// uniformly; each of its two steps runs when a uniform draw is at most its probability, with a random sign for
/// signed ops. Magnitudes use 10 bins as torchvision does.
/// </summary>
public static class AutoAugment
{
    const int Bins = 10;

    /// <summary>The 25 CIFAR-10 sub-policies.</summary>
    public static readonly IReadOnlyList<(PolicyStep First, PolicyStep Second)> Cifar10Policy =
    [
        (S(AugmentOp.Invert, 0.1, 0), S(AugmentOp.Contrast, 0.2, 6)),
        (S(AugmentOp.Rotate, 0.7, 2), S(AugmentOp.TranslateX, 0.3, 9)),
        (S(AugmentOp.Sharpness, 0.8, 1), S(AugmentOp.Sharpness, 0.9, 3)),
        (S(AugmentOp.ShearY, 0.5, 8), S(AugmentOp.TranslateY, 0.7, 9)),
        (S(AugmentOp.AutoContrast, 0.5, 0), S(AugmentOp.Equalize, 0.9, 0)),
        (S(AugmentOp.ShearY, 0.2, 7), S(AugmentOp.Posterize, 0.3, 7)),
        (S(AugmentOp.Color, 0.4, 3), S(AugmentOp.Brightness, 0.6, 7)),
        (S(AugmentOp.Sharpness, 0.3, 9), S(AugmentOp.Brightness, 0.7, 9)),
        (S(AugmentOp.Equalize, 0.6, 0), S(AugmentOp.Equalize, 0.5, 0)),
        (S(AugmentOp.Contrast, 0.6, 7), S(AugmentOp.Sharpness, 0.6, 5)),
        (S(AugmentOp.Color, 0.7, 7), S(AugmentOp.TranslateX, 0.5, 8)),
        (S(AugmentOp.Equalize, 0.3, 0), S(AugmentOp.AutoContrast, 0.4, 0)),
        (S(AugmentOp.TranslateY, 0.4, 3), S(AugmentOp.Sharpness, 0.2, 6)),
        (S(AugmentOp.Brightness, 0.9, 6), S(AugmentOp.Color, 0.2, 8)),
        (S(AugmentOp.Solarize, 0.5, 2), S(AugmentOp.Invert, 0.0, 0)),
        (S(AugmentOp.Equalize, 0.2, 0), S(AugmentOp.AutoContrast, 0.6, 0)),
        (S(AugmentOp.Equalize, 0.2, 0), S(AugmentOp.Equalize, 0.6, 0)),
        (S(AugmentOp.Color, 0.9, 9), S(AugmentOp.Equalize, 0.6, 0)),
        (S(AugmentOp.AutoContrast, 0.8, 0), S(AugmentOp.Solarize, 0.2, 8)),
        (S(AugmentOp.Brightness, 0.1, 3), S(AugmentOp.Color, 0.7, 0)),
        (S(AugmentOp.Solarize, 0.4, 5), S(AugmentOp.AutoContrast, 0.9, 0)),
        (S(AugmentOp.TranslateY, 0.9, 9), S(AugmentOp.TranslateY, 0.7, 9)),
        (S(AugmentOp.AutoContrast, 0.9, 0), S(AugmentOp.Solarize, 0.2, 3)),
        (S(AugmentOp.Equalize, 0.8, 0), S(AugmentOp.Invert, 0.1, 0)),
        (S(AugmentOp.TranslateY, 0.7, 9), S(AugmentOp.AutoContrast, 0.9, 0)),
    ];

    /// <summary>Applies one randomly chosen sub-policy to <paramref name="image"/> ([C, H, W] uint8), in place.</summary>
    public static void Apply(Span<byte> image, SampleShape shape, Random rng)
    {
        var (first, second) = Cifar10Policy[rng.Next(Cifar10Policy.Count)];
        var (p0, p1) = (rng.NextDouble(), rng.NextDouble());
        var (negative0, negative1) = (rng.Next(2) == 0, rng.Next(2) == 0);
        if (p0 <= first.Probability) ApplyOp(image, shape, first.Op, Magnitude(first, shape, negative0));
        if (p1 <= second.Probability) ApplyOp(image, shape, second.Op, Magnitude(second, shape, negative1));
    }

    /// <summary>The magnitude of a step as torchvision computes it (sign applied to signed ops only).</summary>
    public static double Magnitude(PolicyStep step, SampleShape shape, bool negative)
    {
        double Linear(double max) => max * step.Bin / (Bins - 1);
        var (value, signed) = step.Op switch
        {
            AugmentOp.ShearX or AugmentOp.ShearY => (Linear(0.3), true),
            AugmentOp.TranslateX => (Linear(150.0 / 331.0 * shape.Width), true),
            AugmentOp.TranslateY => (Linear(150.0 / 331.0 * shape.Height), true),
            AugmentOp.Rotate => (Linear(30.0), true),
            AugmentOp.Brightness or AugmentOp.Color or AugmentOp.Contrast or AugmentOp.Sharpness => (Linear(0.9), true),
            AugmentOp.Posterize => (8 - Math.Round(step.Bin / ((Bins - 1) / 4.0), MidpointRounding.ToEven), false),
            AugmentOp.Solarize => (255.0 - Linear(255.0), false),
            _ => (0.0, false),
        };
        return signed && negative ? -value : value;
    }

    /// <summary>Applies one operation at a given magnitude, as torchvision's <c>_apply_op</c>.</summary>
    public static void ApplyOp(Span<byte> image, SampleShape shape, AugmentOp op, double magnitude)
    {
        switch (op)
        {
            case AugmentOp.ShearX: ImageOps.ShearX(image, shape, magnitude); break;
            case AugmentOp.ShearY: ImageOps.ShearY(image, shape, magnitude); break;
            case AugmentOp.TranslateX: ImageOps.Translate(image, shape, (int)magnitude, 0); break;
            case AugmentOp.TranslateY: ImageOps.Translate(image, shape, 0, (int)magnitude); break;
            case AugmentOp.Rotate: ImageOps.Rotate(image, shape, magnitude); break;
            case AugmentOp.Brightness: ImageOps.Brightness(image, (float)(1 + magnitude)); break;
            case AugmentOp.Color: ImageOps.Color(image, shape, (float)(1 + magnitude)); break;
            case AugmentOp.Contrast: ImageOps.Contrast(image, shape, (float)(1 + magnitude)); break;
            case AugmentOp.Sharpness: ImageOps.Sharpness(image, shape, (float)(1 + magnitude)); break;
            case AugmentOp.Posterize: ImageOps.Posterize(image, (int)magnitude); break;
            case AugmentOp.Solarize: ImageOps.Solarize(image, magnitude); break;
            case AugmentOp.AutoContrast: ImageOps.AutoContrast(image, shape); break;
            case AugmentOp.Equalize: ImageOps.Equalize(image, shape); break;
            case AugmentOp.Invert: ImageOps.Invert(image); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    static PolicyStep S(AugmentOp op, double probability, int bin) => new(op, probability, bin);
}
