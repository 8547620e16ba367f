"""`Double.toString` and `Float.toString` as JDK 17 and older print them (OpenJDK's `FloatingDecimal`).

JDK 19 replaced the algorithm (Raffaello Giulietti's shortest-digits conversion, JDK-4511638); the old one
sometimes prints more digits than needed (`2.0E-3` is fine, but `1.0E23` → `1.0E23` and
`2.82879384806159E17` → `2.82879384806159008E17`) and rounds some last digits differently. A Kafka Connect
worker running on JDK 17 writes these texts into JSON (Jackson calls `Double.toString`), files and headers,
so pyconnect-flow can print them too (`java_numbers.set_jdk(17)`).

This is a transcription of `FloatingDecimal.BinaryToASCIIBuffer.dtoa` and `getChars`, with Java's 32- and
64-bit overflow where the original relies on it, checked against JDK 17 on millions of random values
(`tests/differential/test_java_text.py`).
"""

from __future__ import annotations

import math
import struct

__all__ = ["legacy_double_str", "legacy_float_str"]

_EXP_SHIFT = 52
_FRACT_HOB = 1 << _EXP_SHIFT
_EXP_BIAS = 1023
_SIGNIF_MASK = (1 << 52) - 1
_MAX_SMALL_BIN_EXP = 62
_MIN_SMALL_BIN_EXP = -(63 // 3)
_SINGLE_EXP_SHIFT = 23
_SINGLE_EXP_BIAS = 127

_LONG_5_POW = [5**i for i in range(27)]
_SMALL_5_POW = [5**i for i in range(14)]
_N_5_BITS = [0, 3, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28, 31, 33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56, 59, 61]
_INSIGNIFICANT_DIGITS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7,
                         8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14, 14, 14,
                         15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19]

_D = struct.Struct("<d")
_Q = struct.Struct("<Q")
_F = struct.Struct("<f")
_I = struct.Struct("<I")


def _i32(n: int) -> int:
    return ((n + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _i64(n: int) -> int:
    return ((n + (1 << 63)) & 0xFFFFFFFFFFFFFFFF) - (1 << 63)


def _jdiv(a: int, b: int) -> int:
    """Java's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _jrem(a: int, b: int) -> int:
    return a - b * _jdiv(a, b)


def _estimate_dec_exp(fract_bits: int, bin_exp: int) -> int:
    d2 = _D.unpack(_Q.pack((_EXP_BIAS << _EXP_SHIFT) | (fract_bits & _SIGNIF_MASK)))[0]
    d = (d2 - 1.5) * 0.289529654 + 0.176091259 + float(bin_exp) * 0.301029995663981
    return math.floor(d)


def _insignificant_digits_for_pow2(p2: int) -> int:
    return _INSIGNIFICANT_DIGITS[p2] if 1 < p2 < len(_INSIGNIFICANT_DIGITS) else 0


def _develop_long_digits(dec_exponent: int, lvalue: int, insignificant: int) -> tuple[list[int], int]:
    if insignificant != 0:
        pow10 = _LONG_5_POW[insignificant] << insignificant
        residue = lvalue % pow10
        lvalue //= pow10
        dec_exponent += insignificant
        if residue >= (pow10 >> 1):
            lvalue += 1
    digits: list[int] = []
    c = lvalue % 10
    lvalue //= 10
    while c == 0:
        dec_exponent += 1
        c = lvalue % 10
        lvalue //= 10
    while lvalue != 0:
        digits.append(c)
        dec_exponent += 1
        c = lvalue % 10
        lvalue //= 10
    digits.append(c)
    digits.reverse()
    return digits, dec_exponent + 1


def _dtoa(bin_exp: int, fract_bits: int, n_significant_bits: int) -> tuple[list[int], int]:
    """Digits and decimal exponent (value = 0.d1d2… × 10^exponent) of a positive finite number."""
    tail_zeros = (fract_bits & -fract_bits).bit_length() - 1
    n_fract_bits = _EXP_SHIFT + 1 - tail_zeros
    n_tiny_bits = max(0, n_fract_bits - bin_exp - 1)
    if _MIN_SMALL_BIN_EXP <= bin_exp <= _MAX_SMALL_BIN_EXP:
        if n_tiny_bits < len(_LONG_5_POW) and n_fract_bits + _N_5_BITS[n_tiny_bits] < 64 and n_tiny_bits == 0:
            insignificant = (_insignificant_digits_for_pow2(bin_exp - n_significant_bits - 1)
                             if bin_exp > n_significant_bits else 0)
            if bin_exp >= _EXP_SHIFT:
                fract_bits <<= bin_exp - _EXP_SHIFT
            else:
                fract_bits >>= _EXP_SHIFT - bin_exp
            return _develop_long_digits(0, fract_bits, insignificant)

    dec_exp = _estimate_dec_exp(fract_bits, bin_exp)
    b5 = max(0, -dec_exp)
    b2 = b5 + n_tiny_bits + bin_exp
    s5 = max(0, dec_exp)
    s2 = s5 + n_tiny_bits
    m5 = b5
    m2 = b2 - n_significant_bits

    fract_bits >>= tail_zeros
    b2 -= n_fract_bits - 1
    common2 = min(b2, s2)
    b2 -= common2
    s2 -= common2
    m2 -= common2
    if n_fract_bits == 1:
        m2 -= 1
    if m2 < 0:
        b2 -= m2
        s2 -= m2
        m2 = 0

    digits: list[int] = []
    b_bits = n_fract_bits + b2 + (_N_5_BITS[b5] if b5 < len(_N_5_BITS) else b5 * 3)
    ten_s_bits = s2 + 1 + (_N_5_BITS[s5 + 1] if s5 + 1 < len(_N_5_BITS) else (s5 + 1) * 3)
    if b_bits < 64 and ten_s_bits < 64:
        # int (32-bit) or long (64-bit) arithmetic, overflow included where Java lets it happen
        wrap = _i32 if b_bits < 32 and ten_s_bits < 32 else _i64
        b = wrap(wrap(fract_bits * _LONG_5_POW[b5]) << b2)
        s = wrap(_LONG_5_POW[s5] << s2)
        m = wrap(_LONG_5_POW[m5] << m2)
        tens = wrap(s * 10)
        q = _jdiv(b, s)
        b = wrap(10 * _jrem(b, s))
        m = wrap(m * 10)
        low = b < m
        high = wrap(b + m) > tens
        if q == 0 and not high:
            dec_exp -= 1
        else:
            digits.append(q)
        if dec_exp < -3 or dec_exp >= 8:  # E-form: at least two digits
            high = low = False
        while not low and not high:
            q = _jdiv(b, s)
            b = wrap(10 * _jrem(b, s))
            m = wrap(m * 10)
            if m > 0:
                low = b < m
                high = wrap(b + m) > tens
            else:
                low = high = True
            digits.append(q)
        low_digit_difference = wrap(wrap(b << 1) - tens)
    else:
        # FDBigInteger arithmetic: exact, so Python's integers do it (the normalizing shift changes nothing)
        big_s = 5**s5 << s2
        big_b = fract_bits * 5**b5 << b2
        big_m = 5 ** (m5 + 1) << (m2 + 1)
        ten_s = 5 ** (s5 + 1) << (s2 + 1)
        q, big_b = divmod(big_b, big_s)
        big_b *= 10
        low = big_b < big_m
        high = ten_s <= big_b + big_m
        if q == 0 and not high:
            dec_exp -= 1
        else:
            digits.append(q)
        if dec_exp < -3 or dec_exp >= 8:  # E-form: at least two digits
            high = low = False
        while not low and not high:
            q, big_b = divmod(big_b, big_s)
            big_b *= 10
            big_m *= 10
            low = big_b < big_m
            high = ten_s <= big_b + big_m
            digits.append(q)
        if high and low:
            big_b <<= 1
            low_digit_difference = (big_b > ten_s) - (big_b < ten_s)
        else:
            low_digit_difference = 0
    exponent = dec_exp + 1
    if high:
        if low:
            if low_digit_difference == 0:
                if digits[-1] & 1:
                    exponent = _roundup(digits, exponent)
            elif low_digit_difference > 0:
                exponent = _roundup(digits, exponent)
        else:
            exponent = _roundup(digits, exponent)
    return digits, exponent


def _roundup(digits: list[int], exponent: int) -> int:
    i = len(digits) - 1
    q = digits[i]
    if q == 9:
        while q == 9 and i > 0:
            digits[i] = 0
            i -= 1
            q = digits[i]
        if q == 9:
            digits[0] = 1
            return exponent + 1
    digits[i] = q + 1
    return exponent


def _chars(negative: bool, digits: list[int], dec_exponent: int) -> str:
    text = "".join(map(str, digits))
    n = len(text)
    sign = "-" if negative else ""
    if 0 < dec_exponent < 8:
        if n <= dec_exponent:
            return f"{sign}{text}{'0' * (dec_exponent - n)}.0"
        return f"{sign}{text[:dec_exponent]}.{text[dec_exponent:]}"
    if -3 < dec_exponent <= 0:
        return f"{sign}0.{'0' * -dec_exponent}{text}"
    e = dec_exponent - 1
    return f"{sign}{text[0]}.{text[1:] or '0'}E{e}"


def legacy_double_str(x: float) -> str:
    """`Double.toString(x)` on JDK 17 and older."""
    bits = _Q.unpack(_D.pack(x))[0]
    negative = bool(bits >> 63)
    fract_bits = bits & _SIGNIF_MASK
    bin_exp = (bits >> _EXP_SHIFT) & 0x7FF
    if bin_exp == 0x7FF:
        return "NaN" if fract_bits else ("-Infinity" if negative else "Infinity")
    if bin_exp == 0:
        if fract_bits == 0:
            return "-0.0" if negative else "0.0"
        leading_zeros = 64 - fract_bits.bit_length()
        shift = leading_zeros - (63 - _EXP_SHIFT)
        fract_bits <<= shift
        bin_exp = 1 - shift
        n_significant_bits = 64 - leading_zeros
    else:
        fract_bits |= _FRACT_HOB
        n_significant_bits = _EXP_SHIFT + 1
    digits, exponent = _dtoa(bin_exp - _EXP_BIAS, fract_bits, n_significant_bits)
    return _chars(negative, digits, exponent)


def legacy_float_str(x: float) -> str:
    """`Float.toString(f)` on JDK 17 and older, for a value that is already a float32."""
    bits = _I.unpack(_F.pack(x))[0]
    negative = bool(bits >> 31)
    fract_bits = bits & 0x7FFFFF
    bin_exp = (bits >> _SINGLE_EXP_SHIFT) & 0xFF
    if bin_exp == 0xFF:
        return "NaN" if fract_bits else ("-Infinity" if negative else "Infinity")
    if bin_exp == 0:
        if fract_bits == 0:
            return "-0.0" if negative else "0.0"
        leading_zeros = 32 - fract_bits.bit_length()
        shift = leading_zeros - (31 - _SINGLE_EXP_SHIFT)
        fract_bits <<= shift
        bin_exp = 1 - shift
        n_significant_bits = 32 - leading_zeros
    else:
        fract_bits |= 1 << _SINGLE_EXP_SHIFT
        n_significant_bits = _SINGLE_EXP_SHIFT + 1
    digits, exponent = _dtoa(bin_exp - _SINGLE_EXP_BIAS, fract_bits << (_EXP_SHIFT - _SINGLE_EXP_SHIFT),
                             n_significant_bits)
    return _chars(negative, digits, exponent)
