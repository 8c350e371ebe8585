using System.Globalization;
using System.Text;

namespace Metering.Samples.WebPortal;

/// <summary>A dependency-free SVG bar chart of one meter's usage per day, rendered on the server.</summary>
internal static class UsageChart
{
    private const int Width = 620;
    private const int Height = 140;
    private const int Axis = 20;

    /// <summary>One bar per day (a tooltip with the date and quantity), the highest day filling the height.</summary>
    public static string Render(MeterDailyUsage meter, string label)
    {
        var days = meter.Days;
        var peak = days.Count == 0 ? 0m : days.Max(d => d.Quantity);
        var slot = days.Count == 0 ? Width : (double)Width / days.Count;
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"<svg role=\"img\" aria-label=\"{Html.E(label)} per day\" data-testid=\"chart-{Html.E(meter.MeterKey)}\" data-total=\"{Html.E(Html.Quantity(days.Sum(d => d.Quantity)))}\" width=\"{Width}\" height=\"{Height + Axis}\" viewBox=\"0 0 {Width} {Height + Axis}\">");
        for (int i = 0; i < days.Count; i++)
        {
            var day = days[i];
            var height = peak == 0m ? 0d : (double)(day.Quantity / peak) * (Height - 4);
            var x = i * slot + 1;
            var date = day.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"bar\" data-date=\"{date}\" data-quantity=\"{Html.E(Html.Quantity(day.Quantity))}\" x=\"{x:0.##}\" y=\"{Height - height:0.##}\" width=\"{Math.Max(slot - 2, 1):0.##}\" height=\"{height:0.##}\"><title>{date}: {Html.E(Html.Quantity(day.Quantity))}</title></rect>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"0\" y1=\"{Height}\" x2=\"{Width}\" y2=\"{Height}\"/>");
        if (days.Count > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{Height + 15}\" font-size=\"11\">{days[0].Date.ToString("d MMM", CultureInfo.InvariantCulture)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width}\" y=\"{Height + 15}\" font-size=\"11\" text-anchor=\"end\">{days[^1].Date.ToString("d MMM", CultureInfo.InvariantCulture)}</text>");
        }

        return svg.Append("</svg>").ToString();
    }
}
