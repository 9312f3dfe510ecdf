namespace ApimDr.Engine
{
    /// <summary>Process-wide counters the benchmark reads (build.ps1 -Task Bench): they must stay constant in a long session.</summary>
    public static class EngineDiagnostics
    {
        /// <summary>Shared ARM pipelines: one per (cloud, identity).</summary>
        public static int CachedPipelines => Arm.ArmPipelineFactory.CachedCount;
    }
}
