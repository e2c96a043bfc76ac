// Learning rate as a pure function of the epoch: optional linear warm-up, then cosine to 0 (as published) or constant.
using SnnDsl.Core.Settings;
namespace SnnDsl.Core.Training;

public static class LearningRateSchedule
{
    /// <summary>The learning rate of epoch <paramref name="epoch"/> (0-based) of the config's epochs.</summary>
    public static double At(int epoch, TrainingConfig config)
    {
        double baseLr = config.Optimizer.LearningRate;
        int warmup = config.Schedule.WarmupEpochs;
        if (epoch < warmup) return baseLr * (epoch + 1) / (warmup + 1);
        if (config.Schedule.Kind == ScheduleKind.Constant) return baseLr;
        int span = config.Schedule.Epochs - warmup;
        return 0.5 * baseLr * (1 + Math.Cos(Math.PI * (epoch - warmup) / span));
    }
}
