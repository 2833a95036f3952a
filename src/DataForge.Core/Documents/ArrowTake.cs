using Apache.Arrow;

namespace DataForge.Documents;

/// <summary>Row selection for the Arrow column types documents carry.</summary>
public static class ArrowTake
{
    public static IArrowArray Take(IArrowArray array, ReadOnlySpan<int> rows)
    {
        switch (array)
        {
            case StringArray s:
            {
                long bytes = 0;
                foreach (int r in rows) bytes += s.GetValueLength(r);
                var b = new Utf8ColumnBuilder(rows.Length, (int)Math.Min(int.MaxValue, bytes));
                foreach (int r in rows)
                {
                    if (s.IsNull(r)) b.AppendNull();
                    else b.Append(s.GetBytes(r));
                }
                return b.Build();
            }
            case FloatArray f: return TakePrimitive<float>(f, f.Values, rows);
            case DoubleArray d: return TakePrimitive<double>(d, d.Values, rows);
            case Int32Array i: return TakePrimitive<int>(i, i.Values, rows);
            case Int64Array l: return TakePrimitive<long>(l, l.Values, rows);
            case BooleanArray bo:
            {
                var b = new BooleanArray.Builder();
                foreach (int r in rows) { if (bo.GetValue(r) is { } v) b.Append(v); else b.AppendNull(); }
                return b.Build();
            }
            default:
                throw new NotSupportedException($"column type {array.Data.DataType.Name} cannot be filtered; supported: utf8, float, double, int32, int64, bool");
        }
    }

    static IArrowArray TakePrimitive<T>(IArrowArray a, ReadOnlySpan<T> values, ReadOnlySpan<int> rows) where T : unmanaged
    {
        var b = new PrimitiveColumnBuilder<T>(rows.Length);
        foreach (int r in rows)
        {
            if (a.IsNull(r)) b.AppendNull();
            else b.Append(values[r]);
        }
        return b.Build();
    }
}
