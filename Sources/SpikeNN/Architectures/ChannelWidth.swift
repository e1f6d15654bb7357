/// `channels` scaled by a width multiplier, rounded to the nearest integer and at least 1.
func scaledChannels(_ channels: Int, width: Float) -> Int {
    precondition(width > 0, "width multiplier must be positive, got \(width)")
    return max(1, Int((Float(channels) * width).rounded()))
}
